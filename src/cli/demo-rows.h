// The rows the demo seeds its Datanets with (demo-rows.cpp).
#pragma once

#include <string>
#include <vector>

namespace tributary::cli {

struct DemoRow {
  const char* contributor;  //!< demo key name
  const char* prompt;
  const char* response;
};

//! A guide to Quillmere, a fictional lakeside city: history (demo-alice), transit and services
//! (demo-bob), food, festivals and local words (demo-carol).
const std::vector<DemoRow>& QuillmereRows();
//! How Tributary works (demo-bob) and how to run it (demo-alice).
const std::vector<DemoRow>& TributaryFaqRows();

}  // namespace tributary::cli

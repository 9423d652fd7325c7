#include "tributary/base/amount.h"

#include <algorithm>

namespace tributary {

Amount Pow10(int n) {
  Amount r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

std::string AmountToString(Amount a) {
  if (a == 0) return "0";
  std::string s;
  while (a > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(a % 10)));
    a /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

Result<Amount> ParseAmount(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("amount is empty", "bad_amount");
  if (text.size() > 1 && text[0] == '0') {
    return Status::InvalidArgument("amount has a leading zero", "bad_amount");
  }
  Amount r = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return Status::InvalidArgument("amount must be a non-negative integer of base units",
                                     "bad_amount");
    }
    auto m = CheckedMul(r, 10);
    auto s = m ? CheckedAdd(*m, static_cast<Amount>(c - '0')) : std::nullopt;
    if (!s) return Status::InvalidArgument("amount overflows 128 bits", "amount_overflow");
    r = *s;
  }
  return r;
}

std::string FormatTokens(Amount a, int decimals) {
  Amount unit = Pow10(decimals);
  std::string whole = AmountToString(a / unit);
  Amount frac = a % unit;
  if (frac == 0) return whole;
  std::string f = AmountToString(frac);
  f.insert(0, static_cast<size_t>(decimals) - f.size(), '0');
  while (!f.empty() && f.back() == '0') f.pop_back();
  return whole + "." + f;
}

Result<Amount> ParseTokens(std::string_view text, int decimals) {
  auto dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && frac.empty())) {
    return Status::InvalidArgument("token amount must look like 12 or 12.5", "bad_amount");
  }
  if (frac.size() > static_cast<size_t>(decimals)) {
    return Status::InvalidArgument(
        "token amount has more than " + std::to_string(decimals) + " decimal places", "bad_amount");
  }
  // Leading zeros are fine in a human-typed quantity ("0.5", "007").
  while (whole.size() > 1 && whole[0] == '0') whole.remove_prefix(1);
  auto w = ParseAmount(whole);
  if (!w.ok()) return w.status();
  Amount f = 0;
  if (!frac.empty()) {
    std::string padded(frac);
    padded.append(static_cast<size_t>(decimals) - frac.size(), '0');
    while (padded.size() > 1 && padded[0] == '0') padded.erase(0, 1);
    auto p = ParseAmount(padded);
    if (!p.ok()) return p.status();
    f = *p;
  }
  auto scaled = CheckedMul(*w, Pow10(decimals));
  auto total = scaled ? CheckedAdd(*scaled, f) : std::nullopt;
  if (!total) return Status::InvalidArgument("token amount overflows 128 bits", "amount_overflow");
  return *total;
}

}  // namespace tributary

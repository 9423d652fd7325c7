// The data-attribution evaluation protocols (docs/attribution.md, "Evaluation"), run fully
// in-process on a base model: the harness builds its own contributions (made-up facts and Debian
// fortunes), trains adapters with the factory library, writes sketches and a span-index shard, and
// scores with the Attributor.
//   planted  does a planted fact's answer point at the one contribution holding it (span,
//            influence and combined rankings), and does an answer about a fact nobody
//            contributed come out unattributed?
//   noisy    does mean self-influence rank contributions with corrupted responses first?
//   lds      linear datamodeling score: do summed contribution scores of the full adapter
//            predict the loss of adapters retrained on random halves of the contributions?
//
// Links libtorch (part of tributary_attribution_ml). Not thread-safe: one evaluation at a time
// per output directory.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "tributary/base/status.h"

namespace tributary::attribution {

//! What to evaluate and how. The defaults are the protocols' standard sizes.
struct EvaluationOptions {
  std::string base;              //!< the base model's directory (Hugging Face layout)
  std::string out;               //!< where OUT/<protocol>/ and OUT/eval.json are written
  std::string protocol = "all";  //!< planted, noisy, lds or all
  int64_t facts = 50;            //!< planted facts (and as many unplanted questions)
  int64_t distractors = 2000;    //!< planted: fortune rows spread over the contributions
  int64_t contributions = 100;   //!< planted and noisy
  int64_t lds_contributions = 40;
  int64_t epochs = 0;  //!< 0: each protocol's default
  int64_t subsets = 20;
  uint64_t seed = 1;
  double lr = 1e-2;
  int64_t sketch_dim = 1024;
  int64_t sketch_base_dim = 0;  //!< base-checkpoint segment (factory/sketch.h); 0 = none
  //! The combined rule's cosine_floor per method (negative: the calibrated default), to measure
  //! another calibration on the same adapter.
  double trak_floor = -1, tracin_floor = -1;
  std::string fortunes = "/usr/share/games/fortunes";

  //! InvalidArgument (reason "bad_option") naming the option that is out of range.
  Status Validate() const;
};

//! What a running evaluation reports. Called on the evaluating thread; the defaults do nothing.
class EvaluationObserver {
 public:
  virtual ~EvaluationObserver() = default;
  //! A line saying what happens next ("planted: 30 facts among ... rows; training 8 epochs").
  virtual void Note(const std::string& /*line*/) {}
  //! `done` of `total` `unit`s of the step named `label` (training steps, sketched examples,
  //! attributed queries); then ProgressEnd(label) once the step is over.
  virtual void Progress(const std::string& /*label*/, const std::string& /*unit*/, int64_t /*done*/,
                        int64_t /*total*/) {}
  virtual void ProgressEnd(const std::string& /*label*/) {}
  //! A protocol finished with this result (the report's member of the same name).
  virtual void ProtocolDone(const std::string& /*protocol*/, const nlohmann::json& /*result*/) {}
};

//! Runs the protocols `options` names and returns the report ("tributary/attribution-eval/v1"),
//! also written to OUT/eval.json. Each OUT/<protocol>/ starts from nothing except its trained
//! adapters (OUT/<protocol>/adapter, and LDS's half-data adapters OUT/lds/subset-N), each reused
//! when an earlier run trained it on the same examples with the same options
//! (eval-training.json records the fingerprint); sketches whose options changed are made again.
//! Errors: the options' (Validate), the base's and the fortunes' ("no_fortunes").
Result<nlohmann::json> RunEvaluation(const EvaluationOptions& options,
                                     EvaluationObserver* observer = nullptr);

}  // namespace tributary::attribution

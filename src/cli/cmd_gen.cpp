#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/commands.h"
#include "gen/generator.h"
#include "util/clock.h"

namespace shopflow {

void add_gen_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("gen", "Generate realistic online-retail rows (CSV or NDJSON)");
  struct Args {
    GeneratorOptions gen;
    std::string format = "csv", out = "-";
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--rows", args->gen.rows, "Number of rows")->capture_default_str();
  cmd->add_option("--seed", args->gen.seed, "Random seed (same seed, same file)")->capture_default_str();
  cmd->add_option("--dirty-rate", args->gen.dirty_rate, "Share of malformed lines, 0..1")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--format", args->format, "csv or ndjson")->check(CLI::IsMember({"csv", "ndjson"}))->capture_default_str();
  cmd->add_option("--out", args->out, "Output file ('-' for stdout)")->capture_default_str();
  cmd->callback([args, &exit_code] {
    args->gen.ndjson = args->format == "ndjson";
    int fd = STDOUT_FILENO;
    std::string tmp;
    if (args->out != "-") {
      if (std::filesystem::is_directory(args->out)) throw std::runtime_error("--out " + args->out + " is a folder; give a file name");
      tmp = args->out + ".tmp";
      fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
    }
    auto start = std::chrono::steady_clock::now();
    GeneratorStats stats;
    try {
      stats = generate(args->gen, [fd](std::string_view block) {
        while (!block.empty()) {
          ssize_t n = ::write(fd, block.data(), block.size());
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
          block.remove_prefix(n);
        }
      });
      if (fd != STDOUT_FILENO) {
        ::close(std::exchange(fd, STDOUT_FILENO));
        // Written under a temporary name and renamed, so a watched inbox never sees half a file.
        if (::rename(tmp.c_str(), args->out.c_str()) != 0)
          throw std::runtime_error("cannot rename " + tmp + " to " + args->out + ": " + std::strerror(errno));
      }
    } catch (...) {
      if (fd != STDOUT_FILENO) ::close(fd);
      if (!tmp.empty()) ::unlink(tmp.c_str()); // a failed gen leaves nothing behind
      throw;
    }
    double secs = seconds_since(start);
    std::fprintf(stderr, "%s\n",
                 fmt::format("gen: {} rows ({} malformed), {:.1f} MB, {:.3f} s, {:.0f} rows/s", stats.rows,
                             stats.dirty_rows, stats.bytes / 1e6, secs, secs > 0 ? stats.rows / secs : 0.0).c_str());
    exit_code = 0;
  });
}

} // namespace shopflow

// harmony-chaos: the chaos suite. Runs three real harmony nodes beside real nats-server(s) on
// 127.0.0.1, with writer apps on every node, and injects one fault per scenario (see
// scenarios.cc); after healing, checks identical data, zero lost committed rows, no crash.
// `harmony-chaos writer ...` is the writer app itself (the driver starts it as a child).
// scripts/chaos.sh builds and runs it; docs/reliability.md describes it and the latest results.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <climits>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tests/chaos/process.h"
#include "tests/chaos/report.h"
#include "tests/chaos/scenarios.h"
#include "tests/chaos/writer.h"
#include "tests/support/harmony_process.h"

namespace {

std::string SelfBinary() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, n) : "";
}

std::string Now() {
  const std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return buffer;
}

int Run(int argc, char** argv) {
  CLI::App app{"harmony-chaos: fault injection against a real three-node harmony cluster"};
  app.require_subcommand(0, 1);

  bool quick = false, keep = false;
  int seeds = 5, first_seed = 1, converge_timeout = 120;
  std::vector<std::string> only;
  std::string out = "chaos-out", harmony = harmony::test::HarmonyBinary(), nats = "nats-server";
  app.add_flag("--quick", quick, "one seed per scenario (CI)");
  app.add_option("--seeds", seeds, "seeds per scenario")->check(CLI::Range(1, 1000));
  app.add_option("--first-seed", first_seed, "seeds are first-seed, first-seed+1, ...");
  app.add_option("--scenario", only, "run only these scenarios (repeatable)");
  app.add_option("--out", out, "directory for results and the kept runs of failures");
  app.add_flag("--keep", keep, "keep the directories of passing runs too");
  app.add_option("--converge-timeout", converge_timeout, "seconds to wait for identical data");
  app.add_option("--harmony", harmony, "harmony binary")->capture_default_str();
  app.add_option("--nats-server", nats, "nats-server binary")->capture_default_str();
  bool list = false;
  app.add_flag("--list", list, "list the scenarios and exit");

  harmony::chaos::WriterOptions w;
  CLI::App* writer = app.add_subcommand("writer", "(internal) the writer app of one node");
  writer->add_option("--db", w.db_path)->required();
  writer->add_option("--journal", w.journal_path)->required();
  writer->add_option("--node", w.node)->required();
  writer->add_option("--generation", w.generation);
  writer->add_option("--seed", w.seed);
  writer->add_option("--keys", w.keys);
  writer->add_option("--min-pause-ms", w.min_pause_ms);
  writer->add_option("--max-pause-ms", w.max_pause_ms);
  writer->add_option("--hold-ms", w.hold_ms);
  writer->add_flag("--lock-holder", w.lock_holder);
  CLI11_PARSE(app, argc, argv);
  if (writer->parsed()) return harmony::chaos::RunWriter(w);

  // The driver's own NATS connections (stream positions) would log every connect.
  spdlog::set_level(spdlog::level::warn);
  if (list) {
    for (const auto& s : harmony::chaos::Scenarios()) {
      std::cout << s.name << "\t" << s.description << "\n";
    }
    return 0;
  }
  for (const std::string& name : only) {
    if (!harmony::chaos::IsScenario(name)) {
      std::cerr << "harmony-chaos: unknown scenario '" << name << "' (see --list)\n";
      return 2;
    }
  }
  harmony::chaos::RunOptions options;
  options.harmony_binary = harmony::chaos::ResolveBinary(harmony);
  options.nats_binary = harmony::chaos::ResolveBinary(nats);
  options.self_binary = SelfBinary();
  if (options.harmony_binary.empty() || options.nats_binary.empty()) {
    std::cerr << "harmony-chaos: cannot find " << (options.harmony_binary.empty() ? harmony : nats)
              << "\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  options.out_dir = std::filesystem::absolute(out, ec).string();
  options.keep_all = keep;
  options.converge_timeout = std::chrono::seconds(converge_timeout);
  if (quick) seeds = 1;

  const auto start = std::chrono::steady_clock::now();
  const std::string started = Now();
  std::vector<harmony::chaos::RunResult> results;
  std::cout << harmony::chaos::RunTableHeader() << std::flush;
  for (const auto& s : harmony::chaos::Scenarios()) {
    if (!only.empty() && std::find(only.begin(), only.end(), s.name) == only.end()) continue;
    for (int seed = first_seed; seed < first_seed + seeds; ++seed) {
      results.push_back(harmony::chaos::RunScenario(s.name, seed, options));
      std::cout << harmony::chaos::RunTableRow(results.back()) << std::flush;
    }
  }
  const double minutes =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
  int failed = 0;
  std::string runs = harmony::chaos::RunTableHeader();
  for (const auto& r : results) {
    failed += !r.passed();
    runs += harmony::chaos::RunTableRow(r);
  }
  const std::string summary = harmony::chaos::SummaryTable(results);
  char header[256];
  std::snprintf(header, sizeof header, "%s run of %zu run(s) started %s, %.1f min; %d failed.\n",
                quick ? "Quick" : "Full", results.size(), started.c_str(), minutes, failed);
  std::cout << "\n" << header << "\n" << summary;
  std::ofstream(options.out_dir + "/results.md") << header << "\n## Summary\n\n"
                                                 << summary << "\n## Runs\n\n"
                                                 << runs;
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }

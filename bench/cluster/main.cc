// harmony-bench: end-to-end benchmarks of harmony with a real nats-server and real harmony
// processes on loopback. Writes the figures as JSON and as a Markdown table; scripts/bench.sh
// runs it together with the micro-benchmarks.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "bench/cluster/report.h"
#include "bench/cluster/scenarios.h"
#include "tests/support/harmony_process.h"
#include "tests/support/temp_dir.h"

namespace {

using nlohmann::json;

std::string Today() {
  const std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return buffer;
}

int Run(int argc, char** argv) {
  CLI::App app{"harmony-bench: end-to-end benchmarks of harmony"};
  bool quick = false;
  std::string harmony = harmony::test::HarmonyBinary(), nats = "nats-server", out_json,
              out_markdown, micro_json, update_doc, only = "all";
  int shards = 1;
  app.add_flag("--quick", quick, "small sizes (under a minute): proves the tool works");
  app.add_option("--harmony", harmony, "harmony binary")->capture_default_str();
  app.add_option("--nats-server", nats, "nats-server binary")->capture_default_str();
  app.add_option("--shards", shards, "replication_log.shards of every node")
      ->check(CLI::Range(1, 64));
  app.add_option("--only", only, "capture, cluster, bootstrap, schema or all")
      ->check(CLI::IsMember({"capture", "cluster", "bootstrap", "schema", "all"}));
  app.add_option("--json", out_json, "write the results here (JSON)");
  app.add_option("--markdown", out_markdown, "write the Markdown table here");
  app.add_option("--micro-json", micro_json, "Google Benchmark JSON output to include");
  app.add_option("--update-doc", update_doc, "replace the generated part of this Markdown file");
  CLI11_PARSE(app, argc, argv);

  harmony::test::TempDir work("harmony-bench");
  harmony::bench::Settings settings =
      quick ? harmony::bench::Settings::Quick() : harmony::bench::Settings{};
  settings.harmony_binary = harmony;
  settings.nats_binary = nats;
  settings.work_dir = work.path();
  settings.shards = shards;

  json results{{"date", Today()},
               {"mode", quick ? "quick" : "full"},
               {"machine", harmony::bench::DescribeMachine(harmony, nats)},
               {"settings",
                {{"shards", shards},
                 {"capture_single_txns", settings.capture_single_txns},
                 {"capture_batch_txns", settings.capture_batch_txns},
                 {"capture_rounds", settings.capture_rounds},
                 {"throughput_rows", settings.throughput_rows},
                 {"latency_seconds", settings.latency_seconds},
                 {"latency_rate", settings.latency_rate},
                 {"catchup_rows", settings.catchup_rows},
                 {"bootstrap_rows", settings.bootstrap_rows},
                 {"schema_tables", settings.schema_tables},
                 {"schema_seconds", settings.schema_seconds},
                 {"schema_rounds", settings.schema_rounds}}}};
  if (only == "all" || only == "capture") {
    auto capture = harmony::bench::MeasureCapture(settings);
    if (!capture.ok()) {
      spdlog::error("capture benchmark failed: {}", capture.status().ToString());
      return 1;
    }
    results["capture"] = capture.value();
  }
  if (only == "all" || only == "cluster") {
    auto cluster = harmony::bench::MeasureCluster(settings);
    if (!cluster.ok()) {
      spdlog::error("cluster benchmark failed: {}", cluster.status().ToString());
      return 1;
    }
    results["cluster"] = cluster.value();
  }
  if (only == "all" || only == "bootstrap") {
    auto bootstrap = harmony::bench::MeasureBootstrap(settings);
    if (!bootstrap.ok()) {
      spdlog::error("bootstrap benchmark failed: {}", bootstrap.status().ToString());
      return 1;
    }
    results["bootstrap"] = bootstrap.value();
  }
  if (only == "all" || only == "schema") {
    auto schema = harmony::bench::MeasureSchemaSize(settings);
    if (!schema.ok()) {
      spdlog::error("schema-size benchmark failed: {}", schema.status().ToString());
      return 1;
    }
    results["schema_size"] = schema.value();
  }
  if (!micro_json.empty()) {
    std::ifstream in(micro_json);
    json micro = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (micro.is_discarded()) {
      spdlog::error("{}: not valid Google Benchmark JSON", micro_json);
      return 1;
    }
    results["micro"] = micro;
  }
  const std::string markdown = harmony::bench::RenderMarkdown(results);
  if (!out_json.empty()) std::ofstream(out_json) << results.dump(2) << "\n";
  if (!out_markdown.empty()) std::ofstream(out_markdown) << markdown;
  if (!update_doc.empty()) {
    harmony::Status s = harmony::bench::UpdateDoc(update_doc, markdown);
    if (!s.ok()) {
      spdlog::error("{}", s.ToString());
      return 1;
    }
  }
  std::cout << markdown;
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }

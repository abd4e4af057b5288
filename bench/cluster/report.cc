#include "bench/cluster/report.h"

#include <sqlite3.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "fmt/format.h"

namespace harmony::bench {
namespace {

using nlohmann::json;

std::string FirstLineOf(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), pclose);
  if (!pipe) return "";
  char buffer[512] = {0};
  if (!fgets(buffer, sizeof buffer, pipe.get())) return "";
  std::string line = buffer;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

std::string ProcField(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      const size_t colon = line.find(':');
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "";
}

double Num(const json& j, const json::json_pointer& p) {
  return j.contains(p) && j[p].is_number() ? j[p].get<double>() : 0.0;
}

std::string Thousands(double v) {
  std::string digits = fmt::format("{:.0f}", v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

std::string Verdict(bool met) { return met ? "met" : "**not met**"; }

void CaptureRows(const json& r, std::ostringstream& md) {
  for (const auto& [size, label, target] :
       {std::tuple{"txn_1_row", "1-row", 1.5}, std::tuple{"txn_100_rows", "100-row", 0.0}}) {
    const std::string base = std::string("/capture/");
    const double untracked = Num(r, json::json_pointer(base + "untracked/" + size + "/txn_per_s"));
    const double running =
        Num(r, json::json_pointer(base + "harmony_running/" + size + "/txn_per_s"));
    const double only = Num(r, json::json_pointer(base + "triggers_only/" + size + "/txn_per_s"));
    const double ratio = Num(r, json::json_pointer(base + "overhead/" + size + "/harmony_running"));
    const double ratio_only =
        Num(r, json::json_pointer(base + "overhead/" + size + "/triggers_only"));
    md << fmt::format(
        "| Capture overhead, {} transactions | {:.2f}× with harmony running ({} → {} txn/s); "
        "{:.2f}× triggers only ({} txn/s) | {} | {} |\n",
        label, ratio, Thousands(untracked), Thousands(running), ratio_only, Thousands(only),
        target > 0 ? fmt::format("≤ {:.1f}×", target) : "—",
        target > 0 ? Verdict(ratio <= target) : "");
  }
}

void ClusterRows(const json& r, std::ostringstream& md) {
  using P = json::json_pointer;
  const double tput = Num(r, P("/cluster/throughput/replicated_rows_per_s"));
  const double untracked = Num(r, P("/capture/untracked/txn_100_rows/rows_per_s"));
  const std::string versus =
      untracked > 0 ? fmt::format("{:.0f}% of the untracked writer's {} rows/s; ",
                                  100 * tput / untracked, Thousands(untracked))
                    : "";
  md << fmt::format(
      "| Replication throughput (100-row txns, node 1 → 2 peers) | {} rows/s ({}writer on node 1 "
      "{} rows/s) | ≥ 50,000 rows/s | {} |\n",
      Thousands(tput), versus, Thousands(Num(r, P("/cluster/throughput/writer_rows_per_s"))),
      Verdict(tput >= 50000));
  const double p50 = Num(r, P("/cluster/latency/p50_ms"));
  const double p99 = Num(r, P("/cluster/latency/p99_ms"));
  md << fmt::format(
      "| Replication latency, 1-row commits at {:.0f}/s (open loop), commit → visible on a peer | "
      "p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms ({} samples, {} missing) | p50 ≤ 5 ms, "
      "p99 ≤ 20 ms | {} |\n",
      Num(r, P("/cluster/latency/rate_per_s")), p50, p99, Num(r, P("/cluster/latency/max_ms")),
      Thousands(Num(r, P("/cluster/latency/samples"))),
      Thousands(Num(r, P("/cluster/latency/missing"))), Verdict(p50 <= 5 && p99 <= 20));
  const double catchup = Num(r, P("/cluster/catch_up/rows_per_s"));
  md << fmt::format(
      "| Catch-up of a peer restarted after {} rows | {} rows/s ({:.1f} s to zero lag) | "
      "≥ 50,000 rows/s | {} |\n",
      Thousands(Num(r, P("/cluster/catch_up/rows"))), Thousands(catchup),
      Num(r, P("/cluster/catch_up/seconds")), Verdict(catchup >= 50000));
  double idle = 0, peak = 0;
  for (const json& n : r.value(P("/cluster/idle/harmony"), json::array())) {
    idle = std::max(idle, n.value("rss_mib", 0.0));
  }
  for (const json& n : r.value(P("/cluster/throughput/processes_peak/harmony"), json::array())) {
    peak = std::max(peak, n.value("rss_mib", 0.0));
  }
  peak = std::max(peak, Num(r, P("/cluster/catch_up/peak_rss_mib")));
  md << fmt::format(
      "| RSS per harmony process (largest node) | idle {:.1f} MiB, peak {:.1f} MiB | < 30 MiB | "
      "{} |\n",
      idle, peak, Verdict(peak < 30));
}

void BootstrapRows(const json& r, std::ostringstream& md) {
  using P = json::json_pointer;
  md << fmt::format(
      "| Bootstrap of a new node (no database file) from a snapshot of a {:.1f} MiB database "
      "({} rows) | `-save-snapshot` {:.2f} s; new node ready with every row {:.2f} s after it "
      "started (peak RSS {:.1f} MiB) | — | |\n",
      Num(r, P("/bootstrap/db_mib")), Thousands(Num(r, P("/bootstrap/rows"))),
      Num(r, P("/bootstrap/save_snapshot_s")), Num(r, P("/bootstrap/join_to_ready_s")),
      Num(r, P("/bootstrap/joined_peak_rss_mib")));
}

void SchemaSizeRows(const json& r, std::ostringstream& md) {
  using P = json::json_pointer;
  const double p99 = Num(r, P("/schema_size/rotating_commits/p99_ms"));
  const double missing = Num(r, P("/schema_size/rotating_commits/missing"));
  md << fmt::format(
      "| {} tables: single-row commits rotating over them at {}/s from the moment the nodes are "
      "ready (started in {:.2f} s), commit to visible on the peer | p50 {:.2f} ms, p99 {:.2f} ms, "
      "max {:.2f} ms (first second: max {:.2f} ms), {} missing | p99 ≤ 10 ms | {} |\n",
      Thousands(Num(r, P("/schema_size/rotating_commits/tables"))),
      Thousands(Num(r, P("/schema_size/rotating_commits/rate_per_s"))),
      Num(r, P("/schema_size/start_to_ready_s")), Num(r, P("/schema_size/rotating_commits/p50_ms")),
      p99, Num(r, P("/schema_size/rotating_commits/max_ms")),
      Num(r, P("/schema_size/rotating_commits/first_second_max_ms")), Thousands(missing),
      Verdict(p99 <= 10 && missing == 0));
  const double all_max = Num(r, P("/schema_size/all_tables_transaction/max_ms"));
  md << fmt::format(
      "| One transaction inserting a row into each of {} tables, commit to visible on the peer "
      "({} transactions) | p50 {:.2f} ms, max {:.2f} ms (the commit itself: p50 {:.2f} ms) | "
      "≤ 50 ms | {} |\n",
      Thousands(Num(r, P("/schema_size/all_tables_transaction/tables"))),
      Thousands(Num(r, P("/schema_size/all_tables_transaction/transactions"))),
      Num(r, P("/schema_size/all_tables_transaction/p50_ms")), all_max,
      Num(r, P("/schema_size/all_tables_transaction/commit_p50_ms")), Verdict(all_max <= 50));
}

void MicroRows(const json& r, std::ostringstream& md) {
  if (!r.contains("micro") || !r["micro"].contains("benchmarks")) return;
  md << "\n| Micro-benchmark | Time per iteration | Rows/s | MB/s |\n|---|---|---|---|\n";
  for (const json& b : r["micro"]["benchmarks"]) {
    if (b.value("run_type", "iteration") != "iteration") continue;
    md << fmt::format("| `{}` | {:.2f} {} | {} | {} |\n", b.value("name", "?"),
                      b.value("real_time", 0.0), b.value("time_unit", ""),
                      b.contains("items_per_second")
                          ? Thousands(b["items_per_second"].get<double>())
                          : "—",
                      b.contains("bytes_per_second")
                          ? fmt::format("{:.1f}", b["bytes_per_second"].get<double>() / 1e6)
                          : "—");
  }
}

}  // namespace

json DescribeMachine(const std::string& harmony_binary, const std::string& nats_binary) {
  utsname u{};
  uname(&u);
  return {{"cpu", ProcField("/proc/cpuinfo", "model name")},
          {"cores", sysconf(_SC_NPROCESSORS_ONLN)},
          {"memory", ProcField("/proc/meminfo", "MemTotal")},
          {"kernel", std::string(u.sysname) + " " + u.release},
          {"sqlite", sqlite3_libversion()},
          {"nats_server", FirstLineOf(nats_binary + " --version")},
          {"harmony", FirstLineOf(harmony_binary + " -version")}};
}

std::string RenderMarkdown(const json& r) {
  std::ostringstream md;
  const json& m = r.value("machine", json::object());
  md << fmt::format("Run {} ({} mode). Machine: {}, {} cores, {} RAM, {}; SQLite {}, {}, {}.\n",
                    r.value("date", "?"), r.value("mode", "?"), m.value("cpu", "?"),
                    m.value("cores", 0), m.value("memory", "?"), m.value("kernel", "?"),
                    m.value("sqlite", "?"), m.value("nats_server", "?"), m.value("harmony", "?"));
  md << "Everything (one nats-server, three harmony nodes, the writer and the readers) runs on "
        "this one machine; shards = "
     << r.value(json::json_pointer("/settings/shards"), 1)
     << ", app connections use WAL with synchronous=NORMAL.\n\n";
  md << "| Measure | Result | Target | |\n|---|---|---|---|\n";
  if (r.contains("capture")) CaptureRows(r, md);
  if (r.contains("cluster")) ClusterRows(r, md);
  if (r.contains("bootstrap")) BootstrapRows(r, md);
  if (r.contains("schema_size")) SchemaSizeRows(r, md);
  MicroRows(r, md);
  return md.str();
}

Status UpdateDoc(const std::string& doc_path, const std::string& markdown) {
  const std::string begin = "<!-- bench-results:begin -->", end = "<!-- bench-results:end -->";
  std::ifstream in(doc_path);
  if (!in) return Status::NotFound("cannot read " + doc_path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  const size_t b = doc.find(begin), e = doc.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b) {
    return Status::InvalidArgument(doc_path + " lacks the markers " + begin + " and " + end);
  }
  doc = doc.substr(0, b + begin.size()) + "\n" + markdown + doc.substr(e);
  std::ofstream out(doc_path, std::ios::trunc);
  out << doc;
  if (!out) return Status::IoError("cannot write " + doc_path);
  return Status::Ok();
}

}  // namespace harmony::bench

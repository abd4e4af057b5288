#include "tests/chaos/report.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace harmony::chaos {
namespace {

std::string Fixed(double v, int decimals = 1) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Markdown-safe: no line breaks or pipes inside a cell.
std::string Cell(std::string s) {
  for (char& c : s) {
    if (c == '\n') c = ' ';
    if (c == '|') c = '/';
  }
  return s;
}

}  // namespace

std::string RunTableHeader() {
  return "| scenario | seed | shards | result | converged in | committed rows | lost | "
         "phantom | fault | failure |\n"
         "|---|---|---|---|---|---|---|---|---|---|\n";
}

std::string RunTableRow(const RunResult& r) {
  return "| " + r.scenario + " | " + std::to_string(r.seed) + " | " + std::to_string(r.shards) +
         " | " + (r.passed() ? "pass" : "**FAIL**") + " | " +
         (r.converged ? Fixed(r.converge_seconds) + " s" : "no") + " | " +
         std::to_string(r.committed_rows) + " | " + std::to_string(r.lost_rows) + " | " +
         std::to_string(r.phantom_rows) + " | " + Cell(r.fault) + " | " +
         Cell(r.passed() ? "" : r.failure + (r.dir.empty() ? "" : " (kept: " + r.dir + ")")) +
         " |\n";
}

std::string SummaryTable(const std::vector<RunResult>& results) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const RunResult*>> by;
  for (const RunResult& r : results) {
    if (!by.count(r.scenario)) order.push_back(r.scenario);
    by[r.scenario].push_back(&r);
  }
  std::string out =
      "| scenario | runs | passed | converged | lost rows | phantom rows | converge max | "
      "converge median | failed seeds |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const std::string& name : order) {
    int passed = 0, converged = 0;
    int64_t lost = 0, phantom = 0;
    std::vector<double> times;
    std::string failed;
    for (const RunResult* r : by[name]) {
      passed += r->passed();
      converged += r->converged;
      lost += r->lost_rows;
      phantom += r->phantom_rows;
      if (r->converged) times.push_back(r->converge_seconds);
      if (!r->passed()) failed += (failed.empty() ? "" : ", ") + std::to_string(r->seed);
    }
    std::sort(times.begin(), times.end());
    const std::string max = times.empty() ? "-" : Fixed(times.back()) + " s";
    const std::string median = times.empty() ? "-" : Fixed(times[times.size() / 2]) + " s";
    const std::string runs = std::to_string(by[name].size());
    out += "| " + name + " | " + runs + " | " + std::to_string(passed) + "/" + runs + " | " +
           std::to_string(converged) + "/" + runs + " | " + std::to_string(lost) + " | " +
           std::to_string(phantom) + " | " + max + " | " + median + " | " +
           (failed.empty() ? "-" : failed) + " |\n";
  }
  return out;
}

}  // namespace harmony::chaos

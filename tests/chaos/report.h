// report: the chaos suite's output: one Markdown row per run as it finishes, and the summary
// per scenario (runs, passed, converged, lost rows, time to converge) at the end.
#pragma once

#include <string>
#include <vector>

#include "tests/chaos/scenarios.h"

namespace harmony::chaos {

std::string RunTableHeader();
std::string RunTableRow(const RunResult& r);
std::string SummaryTable(const std::vector<RunResult>& results);

}  // namespace harmony::chaos

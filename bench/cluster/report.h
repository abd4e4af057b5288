// report: the machine description, the Markdown table of a benchmark run, and updating the
// generated part of docs/benchmarks.md.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "common/status.h"

namespace harmony::bench {

// CPU model, cores, memory, kernel, SQLite, nats-server and harmony versions.
nlohmann::json DescribeMachine(const std::string& harmony_binary, const std::string& nats_binary);

// The results as Markdown: machine and settings, then one table of measures against targets,
// then the micro-benchmarks (from Google Benchmark's JSON under results["micro"], if present).
std::string RenderMarkdown(const nlohmann::json& results);

// Replaces the text between "<!-- bench-results:begin -->" and "<!-- bench-results:end -->" in
// `doc_path` with `markdown`.
Status UpdateDoc(const std::string& doc_path, const std::string& markdown);

}  // namespace harmony::bench

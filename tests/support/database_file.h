#pragma once

#include <cstdint>
#include <string>

namespace harmony::test {

// Overwrites page `page` (1-based) of the SQLite file at `path` with garbage, as a failing disk
// would: the page's b-tree header becomes invalid, so reading it gives SQLITE_CORRUPT and
// PRAGMA quick_check names it. The file must hold the page (checkpoint a WAL database first).
// Returns false if the file could not be written.
bool CorruptPage(const std::string& path, int64_t page, int page_size);

}  // namespace harmony::test

#include <malloc.h>

#include "cli/app.h"

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own arena (up to 8 per core) and keeps freed
  // memory in each; harmony's handful of threads (nats.c, publish, apply) then hold several
  // partly empty arenas. Two are plenty and keep the resident set small and steady.
  mallopt(M_ARENA_MAX, 2);
  return harmony::cli::RunApp(argc, argv);
}

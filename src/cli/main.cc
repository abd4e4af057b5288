#include "cli/app.h"

int main(int argc, char** argv) { return harmony::cli::RunApp(argc, argv); }

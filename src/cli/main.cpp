// shopflow: the whole e-commerce analytics pipeline in one program. See README.md.
#include <cstdio>
#include <exception>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"shopflow: ingest, clean, store and query online-shop transactions"};
  app.set_version_flag("--version", "shopflow " SHOPFLOW_VERSION);
  int exit_code = 0;
  shopflow::add_gen_command(app, exit_code);
  shopflow::add_batch_command(app, exit_code);
  shopflow::add_sql_command(app, exit_code);
  shopflow::add_catalog_command(app, exit_code);
  shopflow::add_serve_command(app, exit_code);
  shopflow::add_send_command(app, exit_code);
  shopflow::add_clients_command(app, exit_code);
  shopflow::add_token_command(app, exit_code);
  shopflow::add_log_command(app, exit_code);
  shopflow::add_worker_command(app, exit_code);
  shopflow::add_notify_command(app, exit_code);
  shopflow::add_main_job(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end well (0); any other problem with the command line is bad usage.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shopflow: error: %s\n", e.what());
    return 1;
  }
  return exit_code;
}

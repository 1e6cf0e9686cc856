// One function per subcommand; each registers itself on the CLI and sets `exit_code` when run.
#pragma once

#include <CLI/CLI.hpp>

namespace shopflow {

void add_gen_command(CLI::App& app, int& exit_code);
void add_batch_command(CLI::App& app, int& exit_code);
void add_sql_command(CLI::App& app, int& exit_code);
void add_catalog_command(CLI::App& app, int& exit_code);
void add_serve_command(CLI::App& app, int& exit_code);
void add_send_command(CLI::App& app, int& exit_code);
void add_clients_command(CLI::App& app, int& exit_code);
void add_token_command(CLI::App& app, int& exit_code);
void add_log_command(CLI::App& app, int& exit_code);
void add_worker_command(CLI::App& app, int& exit_code);
void add_notify_command(CLI::App& app, int& exit_code);
// The main job, run when no subcommand is given.
void add_main_job(CLI::App& app, int& exit_code);

inline const char* const kDefaultDataDir = "./shopflow-data";

} // namespace shopflow

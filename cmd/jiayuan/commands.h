// The command groups of the `jiayuan` binary: each adds its subcommands to the application,
// with a callback that runs the command and sets `exit_code`. main.cc wires them; nothing else.
#pragma once

#include "cmd/jiayuan/common.h"

namespace CLI {
class App;
}

namespace jiayuan::cli {

// run
void add_run_command(CLI::App& app, const Globals& g, int& exit_code);
// serve (a read replica)
void add_serve_command(CLI::App& app, const Globals& g, int& exit_code);
// publish, import, retract
void add_ingest_commands(CLI::App& app, const Globals& g, int& exit_code);
// query
// community|revisions|summary|communities|cases|awards|companies|targets|renovation|compliance
void add_query_commands(CLI::App& app, Globals& g, int& exit_code);
// audit
void add_audit_command(CLI::App& app, const Globals& g, int& exit_code);
// tick, gen, schema, topics create, digest, rebuild, status, dead-letter list|show
void add_admin_commands(CLI::App& app, const Globals& g, int& exit_code);

}  // namespace jiayuan::cli

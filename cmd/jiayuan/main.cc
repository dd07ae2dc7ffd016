// jiayuan: the command line. main wires CLI11 to the command groups (cmd/jiayuan/*.cc), each a
// thin edge over the modules.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "cmd/jiayuan/commands.h"
#include "events/decisions.h"

#ifndef JIAYUAN_DEFAULT_CONFIG_DIR
#define JIAYUAN_DEFAULT_CONFIG_DIR "config"
#endif
#ifndef JIAYUAN_VERSION
#define JIAYUAN_VERSION "dev"
#endif

int main(int argc, char** argv) {
  using namespace jiayuan::cli;
  spdlog::set_default_logger(spdlog::stderr_color_mt("jiayuan"));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

  CLI::App app{"jiayuan (家园): the Songjiang 美丽家园 property-service rating engine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("jiayuan ") + JIAYUAN_VERSION +
                                        " (decision format " +
                                        std::to_string(jiayuan::kDecisionFormat) + ")");
  Globals g;
  const char* env_config = std::getenv("JIAYUAN_CONFIG_DIR");
  g.config_dir = env_config != nullptr ? env_config : JIAYUAN_DEFAULT_CONFIG_DIR;
  app.add_option("--config", g.config_dir,
                 "config directory (rules/, district.toml, authority.toml, "
                 "engine.toml); env JIAYUAN_CONFIG_DIR")
      ->capture_default_str();
  app.add_option("--data-dir", g.data_dir,
                 "data directory (default: env JIAYUAN_DATA_DIR, else engine.data_dir of "
                 "engine.toml)");
  app.add_option("--log-level", g.log_level,
                 "trace, debug, info, warn, error (default: engine.toml)");
  app.add_option("--kafka", g.kafka,
                 "use the Kafka cluster at HOST:PORT as the log (default: engine.toml [kafka], "
                 "else the embedded log)");

  int exit_code = 0;  // set by the chosen command's callback, which runs inside parse
  add_run_command(app, g, exit_code);
  add_serve_command(app, g, exit_code);
  add_ingest_commands(app, g, exit_code);
  add_query_commands(app, g, exit_code);
  add_admin_commands(app, g, exit_code);
  add_audit_command(app, g, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // says what was wrong with the arguments
    return kCouldNotRun;
  }
  return exit_code;
}

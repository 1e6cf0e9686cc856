// The main job (README command 1): generate the seed's dataset size, import it through every
// sink, and print the import summary and a short analytics report.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "batch/importer.h"
#include "cli/commands.h"
#include "gen/generator.h"
#include "query/report.h"

namespace fs = std::filesystem;

namespace shopflow {

void add_main_job(CLI::App& app, int& exit_code) {
  struct Args {
    std::string data = kDefaultDataDir;
    uint64_t rows = 541'909, seed = 1;
  };
  auto args = std::make_shared<Args>();
  app.add_option("--data", args->data, "Data directory (main job)")->capture_default_str();
  app.add_option("--rows", args->rows, "Rows to generate (main job)")->capture_default_str();
  app.add_option("--seed", args->seed, "Generator seed (main job)")->capture_default_str();
  app.callback([args, &app, &exit_code] {
    if (!app.get_subcommands().empty()) return;
    fs::path dir = args->data;
    fs::create_directories(dir / "generated");
    fs::path file = dir / "generated" / fmt::format("online_retail_{}rows_seed{}.csv", args->rows, args->seed);
    if (!fs::exists(file)) {
      std::printf("Generating %llu realistic rows into %s ...\n", static_cast<unsigned long long>(args->rows), file.c_str());
      GeneratorOptions g;
      g.rows = args->rows;
      g.seed = args->seed;
      fs::path tmp = file.string() + ".tmp";
      {
        std::ofstream out(tmp, std::ios::binary);
        generate(g, [&](std::string_view block) { out.write(block.data(), block.size()); });
        if (!out) throw std::runtime_error("cannot write " + tmp.string());
      }
      fs::rename(tmp, file);
    }
    DataDir data(args->data, "shopflow main job");
    BatchImporter importer(data);
    ImportOptions options;
    FileSummary summary = importer.import_file(file.string(), options);
    std::printf("\n%s", summary.to_text().c_str());
    std::printf("%s", analytics_report(data.warehouse().connection()).c_str());
    std::printf("\nData in %s: warehouse.duckdb, lake/, tables/. Try:\n  build/shopflow sql \"SELECT * FROM daily_sales "
                "ORDER BY day DESC LIMIT 5\" --data %s\n  build/shopflow catalog --data %s\n",
                args->data.c_str(), args->data.c_str(), args->data.c_str());
    exit_code = 0;
  });
}

} // namespace shopflow

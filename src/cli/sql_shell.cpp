#include "cli/sql_shell.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <editline/readline.h>

#include "core/clean.h"
#include "query/policy/sql_policy.h"
#include "util/clock.h"

namespace shopflow {

namespace {

// A buffer is complete when it ends with ';' outside any string, identifier or comment.
bool complete(const std::string& buffer) {
  std::string_view t = trim(buffer);
  if (t.empty() || t.back() != ';') return false;
  std::vector<ClassifiedStatement> statements = classify_sql(t);
  return statements.empty() || !statements.back().lexical_error;
}

class Shell {
public:
  Shell(QuerySource& source, OutputFormat format) : source_(source), format_(format) {}
  ~Shell() {
    if (out_ != stdout) std::fclose(out_);
  }

  // A line of input; false after .quit.
  bool line(const std::string& text) {
    if (buffer_.empty() && trim(text).starts_with(".")) return command(std::string(trim(text)));
    buffer_ += text + "\n";
    if (complete(buffer_)) {
      if (!run_statements(source_, buffer_, format_, out_, timer_)) failed_ = true;
      buffer_.clear();
    }
    return true;
  }
  // At the end of the input: a last statement without its ';' runs too.
  void finish() {
    if (!trim(buffer_).empty() && !run_statements(source_, buffer_, format_, out_, timer_)) failed_ = true;
    buffer_.clear();
  }
  bool continuing() const { return !buffer_.empty(); }
  bool failed() const { return failed_; }

private:
  bool command(const std::string& text) {
    std::string name = text.substr(0, text.find_first_of(" \t")), arg(trim(std::string_view(text).substr(name.size())));
    if (name == ".quit" || name == ".exit") return false;
    if (name == ".help") {
      std::fputs(".tables              tables and views\n.schema NAME         a table's columns\n"
                 ".mode table|csv|json|markdown\n.timer on|off        time each statement\n"
                 ".output [FILE]       results to FILE (none: back to the screen)\n.quit                leave\n", stdout);
    } else if (name == ".tables") {
      run("SELECT table_catalog || '.' || table_name AS name, lower(table_type) AS kind FROM information_schema.tables "
          "ORDER BY table_catalog DESC, name;");
    } else if (name == ".schema" && !arg.empty()) {
      std::string table = arg, catalog = "warehouse";
      if (size_t dot = arg.find('.'); dot != std::string::npos) catalog = arg.substr(0, dot), table = arg.substr(dot + 1);
      run("SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_catalog = " + sql_literal(catalog) +
          " AND table_name = " + sql_literal(table) + " ORDER BY ordinal_position;");
    } else if (name == ".mode" && (arg == "table" || arg == "csv" || arg == "json" || arg == "markdown")) {
      format_ = arg == "csv" ? OutputFormat::Csv : arg == "json" ? OutputFormat::Json : arg == "markdown" ? OutputFormat::Markdown : OutputFormat::Table;
    } else if (name == ".timer" && (arg == "on" || arg == "off")) {
      timer_ = arg == "on";
    } else if (name == ".output") {
      if (out_ != stdout) std::fclose(out_);
      out_ = stdout;
      if (!arg.empty() && !(out_ = std::fopen(arg.c_str(), "w"))) {
        std::fprintf(stderr, "Error: cannot write %s\n", arg.c_str());
        out_ = stdout;
        failed_ = true;
      }
    } else {
      std::fprintf(stderr, "Error: unknown command or bad argument: %s (.help lists them)\n", text.c_str());
      failed_ = true;
    }
    return true;
  }
  void run(const std::string& sql) {
    if (!run_statements(source_, sql, format_, out_, false)) failed_ = true;
  }

  QuerySource& source_;
  OutputFormat format_;
  std::FILE* out_ = stdout;
  bool timer_ = false, failed_ = false;
  std::string buffer_;
};

} // namespace

bool run_statements(QuerySource& source, const std::string& sql, OutputFormat format, std::FILE* out, bool timer) {
  std::vector<ClassifiedStatement> statements = classify_sql(sql);
  for (const ClassifiedStatement& st : statements) {
    auto started = std::chrono::steady_clock::now();
    try {
      std::string text = render(source.query(st.text), format);
      std::fwrite(text.data(), 1, text.size(), out);
      std::fflush(out);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "shopflow: SQL error: %s\n", e.what());
      return false;
    }
    if (timer) std::fprintf(stderr, "Run Time: %.3f s\n", seconds_since(started));
  }
  return true;
}

int run_sql_shell(QuerySource& source, std::istream& script, bool terminal, OutputFormat format) {
  Shell shell(source, format);
  if (!terminal) {
    for (std::string text; std::getline(script, text);)
      if (!shell.line(text)) return shell.failed() ? 1 : 0;
    shell.finish();
    return shell.failed() ? 1 : 0;
  }
  const char* home = std::getenv("HOME");
  std::string history = home ? (std::filesystem::path(home) / ".shopflow_history").string() : std::string();
  using_history();
  if (!history.empty()) read_history(history.c_str());
  std::printf("shopflow SQL shell: statements end with ';', .help lists the commands, .quit leaves\n");
  for (;;) {
    char* raw = readline(shell.continuing() ? "   ...> " : "shopflow> ");
    if (!raw) break; // Ctrl-D
    std::string text(raw);
    std::free(raw);
    if (!trim(text).empty()) add_history(text.c_str());
    if (!shell.line(text)) break;
  }
  shell.finish();
  if (!history.empty()) {
    stifle_history(1000);
    write_history(history.c_str());
  }
  return shell.failed() ? 1 : 0;
}

} // namespace shopflow

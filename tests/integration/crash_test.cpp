// kill -9 the server at random moments while `shopflow send` runs; restart it each time. At the
// end every row is in every sink exactly once.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "reference.h"
#include "test_support.h"

using namespace shopflow;
using namespace shopflow::test;
namespace fs = std::filesystem;

TEST(Crash, KilledServerNeverLosesOrDuplicatesARow) {
  const int kills = std::getenv("SHOPFLOW_CRASH_KILLS") ? std::atoi(std::getenv("SHOPFLOW_CRASH_KILLS")) : 10;
  TempDir t;
  fs::path data = t.path / "d";
  uint16_t port = free_port();
  auto serve = std::make_unique<ServeProcess>(data, "--lake-flush-ms 200", port);

  std::string send_out = (t.path / "send.out").string();
  pid_t sender = fork();
  if (sender == 0) {
    std::string cmd = std::string("exec ") + SHOPFLOW_BIN + " send " + reference_csv() + " --url http://127.0.0.1:" +
                      std::to_string(port) + " --batch 100 --concurrency 4 --rate " + std::to_string(std::max(2000, 40000 / kills)) +
                      " --retry-for 120 --json > " + send_out + " 2>&1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::mt19937 rng(12345);
  for (int k = 0; k < kills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 250));
    EXPECT_EQ(serve->stop(SIGKILL), 128 + SIGKILL);
    serve = std::make_unique<ServeProcess>(data, "--lake-flush-ms 200", port);
  }
  int status = 0;
  waitpid(sender, &status, 0);
  std::string sent = read_file(send_out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << sent;
  EXPECT_TRUE(any_json_line(sent, "acked", text(kReferenceRows))) << sent; // progress lines come first
  EXPECT_EQ(serve->stop(SIGTERM), 0) << serve->log(); // drains every sink

  expect_reference_warehouse_and_lake(data);
  // The tables: every line of every invoice once (checked through a fresh serve's API).
  ServeProcess again(data);
  std::string out = (t.path / "curl.out").string();
  std::string cmd = "curl -s " + again.url() + "/v1/invoices/536365 > " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(json_at(read_file(out), "line_count"), "7");
  EXPECT_EQ(again.stop(), 0);
}

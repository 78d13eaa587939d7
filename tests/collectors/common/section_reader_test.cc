#include "collectors/common/section_reader.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

using namespace kpi;

namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

struct Parsed {
  toml::table table;
  SectionReader reader;
  Parsed(const std::string& text, EnvLookup env = FakeEnv({}))
      : table(toml::parse(std::string_view(text), std::string_view("test.toml"))), reader(*table["s"].as_table(), "s", "test.toml", std::move(env)) {}
};

}  // namespace

TEST_CASE("typed getters read values and mark keys known") {
  Parsed p("[s]\nname = \"x\"\nlist = [\"a\", \"b\"]\nevery = \"90s\"\ncount = 7\nflag = true\nratio = 0.5\n");
  CHECK(p.reader.String("name") == "x");
  CHECK(p.reader.StringList("list") == std::vector<std::string>{"a", "b"});
  CHECK(p.reader.Duration("every", std::chrono::seconds(1), std::chrono::hours(1)) == std::chrono::seconds(90));
  CHECK(p.reader.Integer("count", 1, 10) == 7);
  CHECK(p.reader.Bool("flag") == true);
  CHECK(p.reader.Number("ratio", 0, 1) == 0.5);
  CHECK_FALSE(p.reader.String("absent"));
  CHECK(p.reader.Finish());
}

TEST_CASE("unknown keys are reported with line and column") {
  Parsed p("[s]\nname = \"x\"\n  nmae = \"typo\"\n");
  (void)p.reader.String("name");
  auto done = p.reader.Finish();
  REQUIRE_FALSE(done);
  CHECK(done.error().ToString() == "test.toml:3:3: unknown key 'nmae' in [s]");
}

TEST_CASE("wrong types and bad values point at the value") {
  {
    Parsed p("[s]\nname = 5\n");
    (void)p.reader.String("name");
    CHECK(p.reader.Finish().error().ToString() == "test.toml:2:8: 'name' in [s] must be a string");
  }
  {
    Parsed p("[s]\nevery = \"5 minutes\"\n");
    (void)p.reader.Duration("every", std::chrono::seconds(1), std::chrono::hours(1));
    CHECK(p.reader.Finish().error().ToString() ==
          "test.toml:2:9: 'every' in [s] must be a duration such as \"30s\", \"5m\" or \"1h\"");
  }
  {
    Parsed p("[s]\nlist = [\"a\", 2]\n");
    (void)p.reader.StringList("list");
    CHECK(p.reader.Finish().error().line == 2);
  }
  {
    Parsed p("[s]\ncount = 11\n");
    (void)p.reader.Integer("count", 1, 10);
    CHECK(p.reader.Finish().error().message == "'count' in [s] must be an integer from 1 to 10");
  }
}

TEST_CASE("secrets come from the environment without ever showing the value") {
  Parsed ok("[s]\ntoken = \"${MY_TOKEN}\"\n", FakeEnv({{"MY_TOKEN", "s3cr3t-value"}}));
  CHECK(ok.reader.Secret("token") == "s3cr3t-value");
  CHECK(ok.reader.secrets() == std::vector<std::string>{"s3cr3t-value"});
  CHECK(ok.reader.Finish());

  Parsed missing("[s]\ntoken = \"${MISSING_TOKEN}\"\n");
  CHECK_FALSE(missing.reader.Secret("token"));
  const auto error = missing.reader.Finish().error().ToString();
  CHECK(error == "test.toml:2:9: 'token' in [s] refers to environment variable MISSING_TOKEN, which is not set or empty");
}

TEST_CASE("secrets come from files, trimmed, unreadable and empty files are errors") {
  const auto dir = std::filesystem::temp_directory_path();
  const auto path = dir / "kpi_section_reader_token.txt";
  std::ofstream(path) << "file-secret-123\n";
  Parsed ok("[s]\ntoken_file = \"" + path.string() + "\"\n");
  CHECK(ok.reader.Secret("token") == "file-secret-123");
  CHECK(ok.reader.Finish());

  Parsed missing("[s]\ntoken_file = \"/nonexistent/token\"\n");
  CHECK_FALSE(missing.reader.Secret("token"));
  CHECK(missing.reader.Finish().error().message == "cannot read 'token_file' in [s] at /nonexistent/token");

  std::ofstream(path) << "  \n";
  Parsed empty("[s]\ntoken_file = \"" + path.string() + "\"\n");
  CHECK_FALSE(empty.reader.Secret("token"));
  CHECK(empty.reader.Finish().error().message.find("empty file") != std::string::npos);
  std::filesystem::remove(path);

  Parsed both("[s]\ntoken = \"x\"\ntoken_file = \"/y\"\n");
  CHECK_FALSE(both.reader.Secret("token"));
  CHECK(both.reader.Finish().error().line == 3);
}

TEST_CASE("a literal secret is used as is") {
  Parsed p("[s]\ntoken = \"literal-token\"\n");
  CHECK(p.reader.Secret("token") == "literal-token");
}

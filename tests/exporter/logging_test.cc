#include "exporter/logging.h"

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

using namespace kpi;

namespace {

struct Captured {
  std::ostringstream out;
  std::shared_ptr<SecretRedactor> redactor = std::make_shared<SecretRedactor>();
  Logger Make(LogFormat format, spdlog::level::level_enum level = spdlog::level::info) {
    return Logger(format, level, redactor, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  }
};

}  // namespace

TEST_CASE("logfmt lines carry ts, level, msg and fields, quoted where needed") {
  Captured c;
  c.Make(LogFormat::kLogfmt).With("collector", "github").Error("poll failed", {{"err", "HTTP 500 \"oops\""}});
  const std::string line = c.out.str();
  CHECK(line.starts_with("ts="));
  CHECK(line.find(" level=error msg=\"poll failed\" collector=github err=\"HTTP 500 \\\"oops\\\"\"\n") !=
        std::string::npos);
}

TEST_CASE("JSON lines are valid JSON objects with escaped strings") {
  Captured c;
  c.Make(LogFormat::kJson).Info("hello", {{"path", "a\\b\n\"c\""}});
  const std::string line = c.out.str();
  CHECK(line.starts_with("{\"ts\":\""));
  CHECK(line.find("\"level\":\"info\",\"msg\":\"hello\",\"path\":\"a\\\\b\\n\\\"c\\\"\"}") != std::string::npos);
}

TEST_CASE("levels below the threshold are dropped") {
  Captured c;
  auto logger = c.Make(LogFormat::kLogfmt, spdlog::level::warn);
  logger.Info("quiet");
  logger.Debug("quieter");
  CHECK(c.out.str().empty());
  logger.Warn("loud");
  CHECK(c.out.str().find("loud") != std::string::npos);
}

TEST_CASE("secrets are redacted from messages and fields") {
  Captured c;
  c.redactor->SetSecrets({"ghp_supersecret", "abc"});  // too short to redact safely: ignored
  c.Make(LogFormat::kLogfmt).Error("token ghp_supersecret leaked", {{"err", "Bearer ghp_supersecret"}});
  const std::string line = c.out.str();
  CHECK(line.find("ghp_supersecret") == std::string::npos);
  CHECK(line.find("token <redacted> leaked") != std::string::npos);
  CHECK(c.redactor->Redact("abc") == "abc");
}

TEST_CASE("a text cut to size never keeps the first part of a secret before its cut mark") {
  SecretRedactor r;
  r.SetSecrets({"ghp_0123456789abcdef", "sk_live_other"});
  // As SanitizeLabelValue cuts a long issue title or label value: "…" where it was cut.
  CHECK(r.Redact("title ghp_0123456789\xE2\x80\xA6") == "title <redacted>\xE2\x80\xA6");
  CHECK(r.Redact("a ghp_\xE2\x80\xA6 b sk_live_o\xE2\x80\xA6") == "a <redacted>\xE2\x80\xA6 b <redacted>\xE2\x80\xA6");
  // Fewer than four bytes of a secret, or text that is no secret's start, stay.
  CHECK(r.Redact("x gh\xE2\x80\xA6") == "x gh\xE2\x80\xA6");
  CHECK(r.Redact("plain words\xE2\x80\xA6") == "plain words\xE2\x80\xA6");
  CHECK(r.Redact("\xE2\x80\xA6") == "\xE2\x80\xA6");
}

TEST_CASE("URLs lose their userinfo and credential parameters wherever they are printed") {
  SecretRedactor redactor;
  CHECK(redactor.Redact("GET http://user:pass@host:8080/a?b=1 failed") == "GET http://<redacted>@host:8080/a?b=1 failed");
  CHECK(redactor.Redact("https://jira.acme.test/rest?jql=x&token=abc123&Api_Key=k#f") ==
        "https://jira.acme.test/rest?jql=x&token=<redacted>&Api_Key=<redacted>#f");
  CHECK(redactor.Redact("url=\"https://a@b/c\" next=https://plain.test/x?page=2") ==
        "url=\"https://<redacted>@b/c\" next=https://plain.test/x?page=2");
  CHECK(redactor.Redact("no url here: a@b") == "no url here: a@b");
  CHECK(redactor.Redact("https://h/p?q=a@b") == "https://h/p?q=a@b");  // an @ in the query is no userinfo
}

TEST_CASE("logfmt escapes every control character, so upstream text cannot forge a line") {
  CHECK(LogfmtValue("plain") == "plain");
  CHECK(LogfmtValue("a\rb") == "\"a\\rb\"");
  CHECK(LogfmtValue("a\tb") == "\"a\\tb\"");
  CHECK(LogfmtValue("a\nlevel=error msg=forged") == "\"a\\nlevel=error msg=forged\"");
  CHECK(LogfmtValue(std::string("a\x01" "b\x7f", 4)) == "\"a\\u0001b\\u007f\"");
  CHECK(LogfmtValue("say \"hi\"\\") == "\"say \\\"hi\\\"\\\\\"");
}

TEST_CASE("a huge upstream string makes a bounded log line") {
  Captured c;
  c.Make(LogFormat::kLogfmt).Error("poll failed", {{"err", std::string(1 << 20, 'x')}});
  const std::string line = c.out.str();
  CHECK(line.size() < 2300);
  CHECK(line.find(std::string(2048, 'x') + "... (1048576 bytes)") != std::string::npos);
}

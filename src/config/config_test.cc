#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace harmony::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Config{} with only the required key set: what a file holding just db_path should produce.
Config DefaultsWith(std::string db_path, std::string source) {
  Config c;
  c.db_path = std::move(db_path);
  c.source = std::move(source);
  return c;
}

TEST(ConfigDefaults, MatchDocumentedValues) {
  Config c;
  EXPECT_EQ(c.db_path, "");
  EXPECT_EQ(c.node_id, 0u);
  EXPECT_EQ(c.seq_map_path, "");
  EXPECT_TRUE(c.publish);
  EXPECT_TRUE(c.replicate);
  EXPECT_EQ(c.scan_max_changes, 512u);
  EXPECT_EQ(c.cleanup_interval_ms, 5000);
  EXPECT_EQ(c.polling_interval_ms, 1000);
  EXPECT_THAT(c.ignore_tables, IsEmpty());
  EXPECT_THAT(c.include_tables, IsEmpty());
  EXPECT_EQ(c.replication_log.shards, 1u);
  EXPECT_EQ(c.replication_log.max_entries, 1024);
  EXPECT_EQ(c.replication_log.replicas, 1);
  EXPECT_TRUE(c.replication_log.compress);
  EXPECT_THAT(c.nats.urls, IsEmpty());
  EXPECT_EQ(c.nats.subject_prefix, "harmony-change-log");
  EXPECT_EQ(c.nats.stream_prefix, "harmony-changes");
  EXPECT_EQ(c.nats.bind_address, "127.0.0.1:-1");
  EXPECT_EQ(c.nats.connect_retries, 5);
  EXPECT_EQ(c.nats.reconnect_wait_seconds, 2);
  EXPECT_FALSE(c.logging.verbose);
  EXPECT_EQ(c.logging.format, "console");
  EXPECT_EQ(c.source, "");
}

TEST(Validate, RejectsDefaultsWithoutDbPath) {
  Status s = Validate(Config{});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), StartsWith("db_path: "));
}

TEST(Validate, AcceptsDefaultsWithDbPath) {
  EXPECT_TRUE(Validate(DefaultsWith("/tmp/x.db", "")).ok());
}

TEST(Validate, NamesTheKeyAfterAnOverride) {
  Config c = DefaultsWith("/tmp/x.db", "");
  c.replication_log.shards = 0;
  EXPECT_EQ(Validate(c).message(),
            "replication_log.shards: expected an integer from 1 to 1024, got 0");
  c = DefaultsWith("/tmp/x.db", "");
  c.nats.bind_address = "localhost";
  EXPECT_THAT(Validate(c).message(), StartsWith("nats.bind_address: expected "));
  c = DefaultsWith("/tmp/x.db", "");
  c.nats.urls = {"nats://a:4222", ""};
  EXPECT_THAT(Validate(c).message(), StartsWith("nats.urls[1]: expected "));
}

TEST(Validate, BindAddressForms) {
  Config c = DefaultsWith("/tmp/x.db", "");
  for (const char* ok :
       {":4222", "0.0.0.0:4222", "host.example:1", "[::1]:65535", ":-1", "[::1]:-1"}) {
    c.nats.bind_address = ok;
    EXPECT_TRUE(Validate(c).ok()) << ok;
  }
  for (const char* bad :
       {"", "4222", "host:", "host:0", "host:65536", "::1:4222", "a b:1", "h:-2"}) {
    c.nats.bind_address = bad;
    EXPECT_FALSE(Validate(c).ok()) << bad;
  }
}

TEST(Validate, TablePatterns) {
  Config c = DefaultsWith("/tmp/x.db", "");
  for (const char* ok :
       {"*", "tmp_*", "log?", "log[0-9]", "[!a-z]*", "[]]", "[!]]", "[^x]", "[[:alpha:]_]*",
        "[[]x]", "\\[x\\]", "a\\*", "[a\\]]", "x]", "[[]", "[[:]"}) {
    c.include_tables = {ok};
    c.ignore_tables = {ok};
    EXPECT_TRUE(Validate(c).ok()) << ok << ": " << Validate(c).ToString();
  }
  c = DefaultsWith("/tmp/x.db", "");
  for (const char* bad :
       {"", "tmp_[", "[]", "[!]", "x[a-", "[a\\]", "a\\", "[[:alfa:]]", "[[::]]", "[[:alpha:]"}) {
    c.include_tables = {"ok", bad};
    Status s = Validate(c);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_THAT(s.message(), StartsWith("include_tables[1]: expected a table name pattern "))
        << bad;
  }
  c = DefaultsWith("/tmp/x.db", "");
  c.ignore_tables = {std::string("a\0b", 3)};
  EXPECT_THAT(Validate(c).message(), HasSubstr("NUL"));
}

TEST(Validate, TablePatternMessagesSayWhatIsWrong) {
  Config c = DefaultsWith("/tmp/x.db", "");
  c.ignore_tables = {"tmp_["};
  EXPECT_EQ(Validate(c).message(),
            "ignore_tables[0]: expected a table name pattern (a non-empty glob using *, ? and "
            "[...]), got \"tmp_[\" (the '[' at position 5 is never closed; use [[] to match a "
            "literal '[')");
  c.ignore_tables = {"[[:alfa:]]*"};
  EXPECT_THAT(Validate(c).message(), HasSubstr("(unknown character class [:alfa:])"));
  c.ignore_tables = {"a\\"};
  EXPECT_THAT(Validate(c).message(),
              HasSubstr("got \"a\\\\\" (a trailing backslash escapes nothing)"));
  c.ignore_tables = {""};
  EXPECT_THAT(Validate(c).message(), HasSubstr("got \"\" (an empty pattern matches no table)"));
}

TEST(LoadString, TablePatternsAsArrays) {
  Result<Loaded> r = LoadString(
      "db_path = \"x.db\"\n"
      "ignore_tables = [\"tmp_*\", 'cache\\[1\\]']\n"
      "include_tables = []\n",
      "n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->config.ignore_tables, ElementsAre("tmp_*", "cache\\[1\\]"));
  EXPECT_THAT(r->config.include_tables, IsEmpty());
  EXPECT_THAT(r->warnings, IsEmpty());
}

TEST(LoadString, TablePatternAsOneStringIsOnePattern) {
  Result<Loaded> r = LoadString(
      "db_path = \"x.db\"\ninclude_tables = \"orders*\"\nignore_tables = \"a,b\"\n", "n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->config.include_tables, ElementsAre("orders*"));
  EXPECT_THAT(r->config.ignore_tables, ElementsAre("a,b"));  // a comma is part of the name
}

TEST(LoadString, OnlyDbPathGivesDefaults) {
  Result<Loaded> r = LoadString("db_path = \"/data/app.db\"\n", "node.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->config, DefaultsWith("/data/app.db", "node.toml"));
  EXPECT_THAT(r->warnings, IsEmpty());
}

// Modelled on HarmonyLite's documented config.toml: every key it shares with Harmony set to a
// non-default value, plus the sections and keys Harmony ignores.
constexpr char kHarmonyLiteConfig[] = R"(# HarmonyLite node
db_path="/var/lib/app/app.db"
node_id=7
seq_map_path="/var/lib/app/seq-map.cbor"
replicate=false
publish=false
scan_max_changes=256
cleanup_interval=10000
sleep_timeout=0
polling_interval=0

[snapshot]
enabled=true
store="nats"
interval=0

[snapshot.nats]
replicas=1

[replication_log]
replicas=3
shards=4
max_entries=2048
compress=false
update_existing=false

[nats]
urls=["nats://a:4222", "nats://user:pw@b:4222"]
bind_address="0.0.0.0:4222"
server_config=""
subject_prefix="harmonylite-change-log"
stream_prefix="harmonylite-changes"
seed_file=""
user_name=""
user_password=""
connect_retries=10
reconnect_wait_seconds=3

[prometheus]
enable=false

[logging]
verbose=true
format="json"
)";

TEST(LoadString, HarmonyLiteConfigLoadsWithWarningsForUnusedKeys) {
  Result<Loaded> r = LoadString(kHarmonyLiteConfig, "hl.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Config& c = r->config;
  EXPECT_EQ(c.db_path, "/var/lib/app/app.db");
  EXPECT_EQ(c.node_id, 7u);
  EXPECT_EQ(c.seq_map_path, "/var/lib/app/seq-map.cbor");
  EXPECT_FALSE(c.replicate);
  EXPECT_FALSE(c.publish);
  EXPECT_EQ(c.scan_max_changes, 256u);
  EXPECT_EQ(c.cleanup_interval_ms, 10000);
  EXPECT_EQ(c.polling_interval_ms, 0);
  EXPECT_EQ(c.replication_log.replicas, 3);
  EXPECT_EQ(c.replication_log.shards, 4u);
  EXPECT_EQ(c.replication_log.max_entries, 2048);
  EXPECT_FALSE(c.replication_log.compress);
  EXPECT_THAT(c.nats.urls, ElementsAre("nats://a:4222", "nats://user:pw@b:4222"));
  EXPECT_EQ(c.nats.bind_address, "0.0.0.0:4222");
  EXPECT_EQ(c.nats.subject_prefix, "harmonylite-change-log");
  EXPECT_EQ(c.nats.stream_prefix, "harmonylite-changes");
  EXPECT_EQ(c.nats.connect_retries, 10);
  EXPECT_EQ(c.nats.reconnect_wait_seconds, 3);
  EXPECT_TRUE(c.snapshot.enabled);
  EXPECT_EQ(c.snapshot.store, "nats");
  EXPECT_EQ(c.snapshot.interval_ms, 0);
  EXPECT_EQ(c.snapshot.nats_replicas, 1);
  EXPECT_TRUE(c.logging.verbose);
  EXPECT_EQ(c.logging.format, "json");
  EXPECT_EQ(c.source, "hl.toml");
  EXPECT_THAT(r->warnings,
              ElementsAre("hl.toml:9: unknown key 'sleep_timeout' ignored"));
}

TEST(LoadString, UnknownKeysInsideKnownTablesAreWarnings) {
  Result<Loaded> r = LoadString(
      "db_path = \"x.db\"\n"
      "[logging.sink]\n"
      "file = \"/var/log/h.log\"\n"
      "[metrics.http]\n"
      "bind = \":3010\"\n",
      "n.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->warnings, ElementsAre("n.toml:2: unknown key 'logging.sink' ignored",
                                       "n.toml:4: unknown key 'metrics' ignored"));
}

struct BadValue {
  const char* toml;
  const char* message;
};

void PrintTo(const BadValue& value, std::ostream* os) { *os << value.toml; }

class LoadStringError : public ::testing::TestWithParam<BadValue> {};

TEST_P(LoadStringError, GivesOneLineNamingFileLineColumnAndKey) {
  Result<Loaded> r = LoadString(GetParam().toml, "node.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Messages, LoadStringError,
    ::testing::Values(
        BadValue{"db_path = \"x.db\"\n\n\n\n\n[replication_log]\nshards = \"two\"\n",
                 "node.toml:7:10: replication_log.shards: expected an integer from 1 to 1024, "
                 "got \"two\""},
        BadValue{"db_path = \"x.db\"\n[replication_log]\nshards = 2000\n",
                 "node.toml:3:10: replication_log.shards: expected an integer from 1 to 1024, "
                 "got 2000"},
        BadValue{"db_path = \"x.db\"\ncleanup_interval = 5000.0\n",
                 "node.toml:2:20: cleanup_interval: expected an integer >= 100, got 5000.0 "
                 "(a float); integers are written without a decimal point"},
        BadValue{"db_path = \"x.db\"\ncleanup_interval = 99\n",
                 "node.toml:2:20: cleanup_interval: expected an integer >= 100, got 99"},
        BadValue{"db_path = \"x.db\"\n[replication_log]\nreplicas = 6\n",
                 "node.toml:3:12: replication_log.replicas: expected an integer from 1 to 5, "
                 "got 6"},
        BadValue{"db_path = \"x.db\"\nnode_id = -1\n",
                 "node.toml:2:11: node_id: expected an integer >= 0, got -1"},
        BadValue{"db_path = \"x.db\"\npublish = \"yes\"\n",
                 "node.toml:2:11: publish: expected a boolean (true or false), got \"yes\""},
        BadValue{"db_path = 5\n", "node.toml:1:11: db_path: expected a non-empty path, got 5"},
        BadValue{"db_path = \"\"\n",
                 "node.toml:1:11: db_path: expected a non-empty path, got \"\""},
        BadValue{"db_path = \"x.db\"\n[logging]\nformat = \"xml\"\n",
                 "node.toml:3:10: logging.format: expected \"console\" or \"json\", got \"xml\""},
        BadValue{"db_path = \"x.db\"\n[nats]\nurls = [\"nats://a:4222\", 7]\n",
                 "node.toml:3:26: nats.urls[1]: expected a non-empty server URL, got 7"},
        BadValue{"db_path = \"x.db\"\n[nats]\nurls = 4222\n",
                 "node.toml:3:8: nats.urls: expected an array of server URLs or a string, "
                 "got 4222"},
        BadValue{"db_path = \"x.db\"\n[nats]\nurls = \"nats://a:4222,,nats://b:4222\"\n",
                 "node.toml:3:8: nats.urls: expected comma-separated server URLs without empty "
                 "entries, got \"nats://a:4222,,nats://b:4222\""},
        BadValue{"db_path = \"x.db\"\n[nats]\nbind_address = \"4222\"\n",
                 "node.toml:3:16: nats.bind_address: expected \"HOST:PORT\", \":PORT\" or "
                 "\"[IPV6]:PORT\" with a port from 1 to 65535 (-1: any free port), got \"4222\""},
        BadValue{"db_path = \"x.db\"\n[nats]\nstream_prefix = \"a.b\"\n",
                 "node.toml:3:17: nats.stream_prefix: expected a JetStream stream name prefix "
                 "(non-empty; no spaces, '.', '*', '>', '/' or '\\'), got \"a.b\""},
        BadValue{"db_path = \"x.db\"\n[nats]\nsubject_prefix = \"log.*\"\n",
                 "node.toml:3:18: nats.subject_prefix: expected a NATS subject prefix "
                 "(non-empty; no spaces, '*', '>' or empty tokens), got \"log.*\""},
        BadValue{"db_path = \"x.db\"\nignore_tables = [\"ok\", \"tmp_[\"]\n",
                 "node.toml:2:24: ignore_tables[1]: expected a table name pattern (a non-empty "
                 "glob using *, ? and [...]), got \"tmp_[\" (the '[' at position 5 is never "
                 "closed; use [[] to match a literal '[')"},
        BadValue{"db_path = \"x.db\"\ninclude_tables = \"log[0-9\"\n",
                 "node.toml:2:18: include_tables: expected a table name pattern (a non-empty "
                 "glob using *, ? and [...]), got \"log[0-9\" (the '[' at position 4 is never "
                 "closed; use [[] to match a literal '[')"},
        BadValue{"db_path = \"x.db\"\ninclude_tables = [\"\"]\n",
                 "node.toml:2:19: include_tables[0]: expected a table name pattern (a non-empty "
                 "glob using *, ? and [...]), got \"\" (an empty pattern matches no table)"},
        BadValue{"db_path = \"x.db\"\ninclude_tables = [\"a\", 1]\n",
                 "node.toml:2:24: include_tables[1]: expected a table name pattern (a non-empty "
                 "glob using *, ? and [...]), got 1"},
        BadValue{"db_path = \"x.db\"\nignore_tables = true\n",
                 "node.toml:2:17: ignore_tables: expected an array of table name patterns or a "
                 "string, got true"},
        BadValue{"db_path = \"x.db\"\nnats = 1\n",
                 "node.toml:2:8: nats: expected a table, got 1"}));

TEST(LoadString, SyntaxErrorNamesFileLineAndColumnOnOneLine) {
  Result<Loaded> r = LoadString("db_path = \"x.db\"\n\nshards = = 2\n", "node.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), StartsWith("node.toml:3:"));
  EXPECT_THAT(r.status().message(), HasSubstr("syntax error"));
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
}

TEST(LoadString, MissingDbPathNamesFileAndKey) {
  Result<Loaded> r = LoadString("node_id = 1\n", "node.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), StartsWith("node.toml: db_path: "));
  EXPECT_THAT(r.status().message(), HasSubstr("missing"));
}

TEST(LoadString, UrlsAsOneString) {
  Result<Loaded> r = LoadString("db_path = \"x.db\"\n[nats]\nurls = \"nats://a:4222\"\n", "n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->config.nats.urls, ElementsAre("nats://a:4222"));
}

TEST(LoadString, UrlsAsCommaSeparatedString) {
  Result<Loaded> r =
      LoadString("db_path = \"x.db\"\n[nats]\nurls = \"nats://a:4222, tls://b:4222\"\n", "n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->config.nats.urls, ElementsAre("nats://a:4222", "tls://b:4222"));
}

TEST(LoadString, UrlsAsEmptyStringMeansNone) {
  Result<Loaded> r = LoadString("db_path = \"x.db\"\n[nats]\nurls = \"\"\n", "n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->config.nats.urls, IsEmpty());
}

TEST(LoadString, UnnamedSourceIsCalledString) {
  Result<Loaded> r = LoadString("db_path = 1\n", "");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), StartsWith("<string>:1:11: db_path: "));
}

class LoadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "config_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(LoadFileTest, MissingFileIsNotFoundNamingThePath) {
  std::string path = (dir_ / "absent.toml").string();
  Result<Loaded> r = LoadFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr(path));
}

TEST_F(LoadFileTest, DirectoryIsIoErrorNamingThePath) {
  Result<Loaded> r = LoadFile(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kIoError);
  EXPECT_THAT(r.status().message(), HasSubstr(dir_.string()));
}

TEST_F(LoadFileTest, ErrorsAndWarningsNameTheFile) {
  std::string path = Write("node.toml", "db_path = \"x.db\"\n[pprof]\nenable = true\n");
  Result<Loaded> r = LoadFile(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->config, DefaultsWith("x.db", path));
  EXPECT_THAT(r->warnings, ElementsAre(path + ":2: unknown key 'pprof' ignored"));

  path = Write("bad.toml", "db_path = \"x.db\"\nscan_max_changes = 0\n");
  r = LoadFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), StartsWith(path + ":2:20: scan_max_changes: "));
}

const char* const kAllKeys[] = {"db_path",
                                "node_id",
                                "seq_map_path",
                                "publish",
                                "replicate",
                                "scan_max_changes",
                                "conflicts_kept",
                                "cleanup_interval",
                                "polling_interval",
                                "ignore_tables",
                                "include_tables",
                                "shards",
                                "max_entries",
                                "replicas",
                                "compress",
                                "update_existing",
                                "urls",
                                "subject_prefix",
                                "stream_prefix",
                                "bind_address",
                                "connect_retries",
                                "reconnect_wait_seconds",
                                "user_name",
                                "user_password",
                                "token",
                                "seed_file",
                                "creds_file",
                                "ca_file",
                                "cert_file",
                                "key_file",
                                "tls_server_name",
                                "server_config",
                                "enabled",
                                "interval",
                                "store",
                                "bucket",
                                "dir",
                                "verbose",
                                "format",
                                "enable",
                                "bind",
                                "namespace",
                                "subsystem",
                                "path",
                                "detailed"};

const std::string kExamplePath = std::string(HARMONY_SOURCE_DIR) + "/config.example.toml";

TEST(ExampleConfig, LoadsWithoutWarningsAndStatesTheDefaults) {
  Result<Loaded> r = LoadFile(kExamplePath);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->warnings, IsEmpty());
  EXPECT_EQ(r->config, DefaultsWith("/tmp/harmony.db", kExamplePath));
}

TEST(ExampleConfig, SetsEveryKeyAfterAComment) {
  std::string text = ReadText(kExamplePath);
  ASSERT_FALSE(text.empty());
  for (const char* key : kAllKeys) {
    std::string line = "\n" + std::string(key) + " = ";
    size_t at = text.find(line);
    ASSERT_NE(at, std::string::npos) << key;
    size_t previous_line = text.rfind('\n', at - 1);
    ASSERT_NE(previous_line, std::string::npos) << key;
    EXPECT_EQ(text[previous_line + 1], '#') << key << " has no comment above it";
  }
}

TEST(ConfigurationDoc, ListsEveryKeyAndFlag) {
  std::string text = ReadText(std::string(HARMONY_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_FALSE(text.empty());
  const std::vector<std::string> keys = {"`db_path`",
                                         "`node_id`",
                                         "`seq_map_path`",
                                         "`publish`",
                                         "`replicate`",
                                         "`scan_max_changes`",
                                         "`conflicts_kept`",
                                         "`cleanup_interval`",
                                         "`polling_interval`",
                                         "`ignore_tables`",
                                         "`include_tables`",
                                         "__harmony",
                                         "`replication_log.shards`",
                                         "`replication_log.max_entries`",
                                         "`replication_log.replicas`",
                                         "`replication_log.compress`",
                                         "`replication_log.update_existing`",
                                         "`nats.urls`",
                                         "`nats.subject_prefix`",
                                         "`nats.stream_prefix`",
                                         "`nats.bind_address`",
                                         "`nats.connect_retries`",
                                         "`nats.reconnect_wait_seconds`",
                                         "`nats.user_name`",
                                         "`nats.user_password`",
                                         "`nats.token`",
                                         "`nats.seed_file`",
                                         "`nats.creds_file`",
                                         "`nats.ca_file`",
                                         "`nats.cert_file`",
                                         "`nats.key_file`",
                                         "`nats.tls_server_name`",
                                         "`nats.server_config`",
                                         "`snapshot.enabled`",
                                         "`snapshot.interval`",
                                         "`snapshot.store`",
                                         "`snapshot.nats.replicas`",
                                         "`snapshot.nats.bucket`",
                                         "`snapshot.file.dir`",
                                         "`-save-snapshot`",
                                         "`prometheus.enable`",
                                         "`prometheus.bind`",
                                         "`prometheus.namespace`",
                                         "`prometheus.subsystem`",
                                         "`health_check.enable`",
                                         "`health_check.bind`",
                                         "`health_check.path`",
                                         "`health_check.detailed`",
                                         "`status",
                                         "`wait",
                                         "`logging.verbose`",
                                         "`logging.format`",
                                         "`-config",
                                         "`-node-id",
                                         "`-cleanup`",
                                         "`-version`",
                                         "`-help`",
                                         "`-cluster-addr",
                                         "`-cluster-peers",
                                         "/etc/machine-id"};
  for (const std::string& key : keys) EXPECT_THAT(text, HasSubstr(key));
}

TEST(LoadString, SnapshotSectionIsReadAndChecked) {
  Result<Loaded> r = LoadString(
      "db_path = \"x.db\"\n[snapshot]\nenabled = false\ninterval = 60000\nstore = \"file\"\n"
      "[snapshot.nats]\nreplicas = 3\nbucket = \"snaps_1\"\n[snapshot.file]\ndir = \"/srv/snap\"\n",
      "s.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->warnings, IsEmpty());
  const SnapshotConfig& s = r->config.snapshot;
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.interval_ms, 60000);
  EXPECT_EQ(s.store, "file");
  EXPECT_EQ(s.nats_replicas, 3);
  EXPECT_EQ(s.nats_bucket, "snaps_1");
  EXPECT_EQ(s.file_dir, "/srv/snap");

  r = LoadString("db_path = \"x.db\"\n[snapshot]\nstore = \"s3\"\n", "s.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("s.toml:3:9: snapshot.store: expected \"nats\" or"));
  r = LoadString("db_path = \"x.db\"\n[snapshot]\nstore = \"file\"\n", "s.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("snapshot.file.dir: required"));
  r = LoadString("db_path = \"x.db\"\n[snapshot.nats]\nbucket = \"a.b\"\n", "s.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("snapshot.nats.bucket: expected a bucket name"));
}

}  // namespace
}  // namespace harmony::config

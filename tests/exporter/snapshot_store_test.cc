#include "exporter/snapshot_store.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace kpi;

namespace {

std::shared_ptr<const Snapshot> Make(const std::string& name, const std::string& label, double value) {
  SnapshotBuilder b;
  b.Gauge(name, "help of " + name, {{"src", label}}, value);
  return std::make_shared<const Snapshot>(*std::move(b).Build());
}

}  // namespace

TEST_CASE("families with the same name merge under one HELP and TYPE") {
  SnapshotStore store;
  store.Put("one", Make("shared_total_things", "one", 1));
  store.Put("two", Make("shared_total_things", "two", 2));
  store.Put("two", Make("shared_total_things", "two", 3));  // replaces, never duplicates
  CHECK(store.Render() ==
        "# HELP shared_total_things help of shared_total_things\n"
        "# TYPE shared_total_things gauge\n"
        "shared_total_things{src=\"one\"} 1\n"
        "shared_total_things{src=\"two\"} 3\n");
}

TEST_CASE("a family whose type disagrees is left out, not rendered invalid") {
  SnapshotStore store;
  store.Put("a", Make("thing", "a", 1));
  SnapshotBuilder b;
  b.Summary("thing", "help of thing", {{"src", "b"}}, {1});
  store.Put("b", std::make_shared<const Snapshot>(*std::move(b).Build()));
  const std::string text = store.Render();
  CHECK(text.find("thing{src=\"a\"} 1") != std::string::npos);
  CHECK(text.find("src=\"b\"") == std::string::npos);
}

TEST_CASE("Retain drops collectors that are gone") {
  SnapshotStore store;
  store.Put("keep", Make("kept", "k", 1));
  store.Put("drop", Make("dropped", "d", 1));
  store.Retain({"keep"});
  CHECK(store.Has("keep"));
  CHECK_FALSE(store.Has("drop"));
  CHECK(store.Render().find("dropped") == std::string::npos);
}

TEST_CASE("the page and its gzip are made once per change and shared by scrapes until the next") {
  SnapshotStore store;
  store.Put("one", Make("a_value", "one", 1));
  const auto first = store.CurrentPage();
  CHECK(first->text == "# HELP a_value help of a_value\n# TYPE a_value gauge\na_value{src=\"one\"} 1\n");
  REQUIRE(first->gzip);
  CHECK(first->gzip->bytes.substr(0, 2) == "\x1f\x8b");  // the start of a gzip member
  CHECK(first->gzip->length == first->text.size());
  CHECK(store.CurrentPage() == first);            // no change: the same stored bytes
  store.Put("one", Make("a_value", "one", 2));
  const auto second = store.CurrentPage();
  CHECK(second != first);
  CHECK(second->text == "# HELP a_value help of a_value\n# TYPE a_value gauge\na_value{src=\"one\"} 2\n");
  store.Retain({});
  CHECK(store.CurrentPage()->text.empty());
}

// Workers Put while scrapes render (scripts/test.sh also runs this under
// ThreadSanitizer): every page a scrape gets is one whole state of the store.
TEST_CASE("Puts, Retains and scrapes from several threads at once always give whole pages") {
  SnapshotStore store;
  store.Put("one", Make("a_value", "one", 0));
  store.Put("two", Make("a_value", "two", 0));
  std::atomic<bool> writing{true};
  std::atomic<int> pages{0};
  std::atomic<int> broken{0};
  std::vector<std::thread> scrapers;
  for (int s = 0; s < 3; ++s) {
    scrapers.emplace_back([&] {
      do {
        const auto page = store.CurrentPage();
        const std::string& text = page->text;
        // Both collectors' samples under one HELP and TYPE, every line complete.
        const bool whole = text.starts_with("# HELP a_value help of a_value\n# TYPE a_value gauge\na_value{src=\"one\"} ") &&
                           text.find("\na_value{src=\"two\"} ") != std::string::npos && text.ends_with("\n");
        if (!whole || !page->gzip || page->gzip->bytes.substr(0, 2) != "\x1f\x8b" || !store.Has("one") || !store.Get("two")) ++broken;
        ++pages;
      } while (writing);
    });
  }
  std::vector<std::thread> writers;
  for (const std::string name : {"one", "two"}) {
    writers.emplace_back([&store, name] {
      for (int i = 1; i <= 300; ++i) {
        store.Put(name, Make("a_value", name, i));
        if (i % 50 == 0) store.Retain({"one", "two"});
      }
    });
  }
  for (auto& t : writers) t.join();
  writing = false;
  for (auto& t : scrapers) t.join();
  CHECK(broken == 0);
  CHECK(pages >= 3);
  const std::string last = store.CurrentPage()->text;
  CHECK(last.find("a_value{src=\"one\"} 300\n") != std::string::npos);
  CHECK(last.find("a_value{src=\"two\"} 300\n") != std::string::npos);
}

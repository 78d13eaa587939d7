// SnapshotStore: the latest snapshot of every collector. Workers Put() a new
// snapshot when a poll finishes; scrapes Render() the merged exposition text.
// A scrape never waits on a poll: Put swaps a pointer under a short lock and
// Render copies the pointers before writing.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collectors/common/output/snapshot.h"
#include "exporter/gzip.h"

namespace kpi {

class SnapshotStore {
 public:
  void Put(const std::string& collector, std::shared_ptr<const Snapshot> snapshot);
  // Drops snapshots of collectors not in `collectors` (after a reload removed them).
  void Retain(const std::vector<std::string>& collectors);
  bool Has(const std::string& collector) const;
  std::shared_ptr<const Snapshot> Get(const std::string& collector) const;  // nullptr when none
  std::vector<std::shared_ptr<const Snapshot>> All() const;  // every collector's, by collector name
  // The same with the collector names (for the item lists, which belong to a collector).
  std::vector<std::pair<std::string, std::shared_ptr<const Snapshot>>> Named() const;

  // Families merged by name across collectors: HELP and TYPE once, then every
  // collector's samples. A family whose type disagrees with the first
  // collector's is left out rather than producing an invalid page.
  std::string Render() const;

  // Render() and its gzip, made once per change of the store (a Put or a
  // Retain) and shared by every scrape until the next change: a scrape
  // writes stored bytes.
  struct Page {
    std::string text;
    std::optional<GzipPrefix> gzip;  // the start of one gzip member of `text` (see GzipFinish)
  };
  std::shared_ptr<const Page> CurrentPage() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Snapshot>> snapshots_;
  uint64_t version_ = 0;  // bumped by every change, under mu_

  mutable std::mutex page_mu_;  // held while one scrape renders; others wait for its result
  mutable std::shared_ptr<const Page> page_;
  mutable uint64_t page_version_ = ~uint64_t{0};
};

}  // namespace kpi

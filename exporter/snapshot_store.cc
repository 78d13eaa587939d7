#include "exporter/snapshot_store.h"

#include <algorithm>
#include <string_view>

#include "exporter/gzip.h"

namespace kpi {

void SnapshotStore::Put(const std::string& collector, std::shared_ptr<const Snapshot> snapshot) {
  std::lock_guard lock(mu_);
  snapshots_[collector] = std::move(snapshot);
  ++version_;
}

void SnapshotStore::Retain(const std::vector<std::string>& collectors) {
  std::lock_guard lock(mu_);
  std::erase_if(snapshots_, [&](const auto& entry) {
    return std::find(collectors.begin(), collectors.end(), entry.first) == collectors.end();
  });
  ++version_;
}

bool SnapshotStore::Has(const std::string& collector) const {
  std::lock_guard lock(mu_);
  return snapshots_.contains(collector);
}

std::shared_ptr<const Snapshot> SnapshotStore::Get(const std::string& collector) const {
  std::lock_guard lock(mu_);
  const auto it = snapshots_.find(collector);
  return it == snapshots_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const Snapshot>> SnapshotStore::All() const {
  std::vector<std::shared_ptr<const Snapshot>> snapshots;
  std::lock_guard lock(mu_);
  for (const auto& [name, snapshot] : snapshots_) snapshots.push_back(snapshot);
  return snapshots;
}

std::vector<std::pair<std::string, std::shared_ptr<const Snapshot>>> SnapshotStore::Named() const {
  std::lock_guard lock(mu_);
  return {snapshots_.begin(), snapshots_.end()};
}

std::string SnapshotStore::Render() const {
  const std::vector<std::shared_ptr<const Snapshot>> snapshots = All();
  std::map<std::string_view, std::vector<const RenderedFamily*>> by_name;
  size_t bytes = 0;
  for (const auto& snapshot : snapshots) {
    for (const auto& family : snapshot->families()) {
      by_name[family.name].push_back(&family);
      bytes += family.help.size() + 64;
      for (const auto& series : family.series) bytes += series.text.size();
    }
  }
  std::string out;
  out.reserve(bytes);
  for (const auto& [name, families] : by_name) {
    const RenderedFamily& first = *families.front();
    out += "# HELP " + first.name + " " + first.help + "\n";
    out += "# TYPE " + first.name + " " + first.type + "\n";
    for (const RenderedFamily* family : families) {
      if (family->type != first.type) continue;
      for (const auto& series : family->series) out += series.text;
    }
  }
  return out;
}

std::shared_ptr<const SnapshotStore::Page> SnapshotStore::CurrentPage() const {
  std::lock_guard render_lock(page_mu_);
  uint64_t version;
  {
    std::lock_guard lock(mu_);
    version = version_;
  }
  if (page_ && page_version_ == version) return page_;
  // A Put() after reading `version` only makes this page one change old; the
  // next scrape sees the newer version and renders again.
  auto page = std::make_shared<Page>();
  page->text = Render();
  page->gzip = GzipStart(page->text);
  page_ = std::move(page);
  page_version_ = version;
  return page_;
}

}  // namespace kpi

// Scheduler: runs every collector on its own interval (with jitter) in a
// background worker thread, at most `max_concurrent_polls` polls at a time.
// Each worker owns one HttpClient (one reused curl handle, its ETag cache and
// rate-limit state). Results go to the SnapshotStore; a failed poll leaves
// the last good snapshot in place. Scrapes never reach a worker.
//
// Thread-safety: Start/Stop are called from one control thread (the app's);
// Status and Ready are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "collectors/common/clock.h"
#include "collectors/common/collector.h"
#include "exporter/logging.h"
#include "exporter/telemetry/self_metrics.h"
#include "exporter/snapshot_store.h"

namespace kpi {

using TransportFactory = std::function<std::unique_ptr<HttpTransport>()>;

struct TargetStatus {
  bool ok = false;
  SystemTime last_success{};  // epoch when never
};

struct CollectorStatus {
  std::string name;
  std::chrono::milliseconds interval{0};
  std::chrono::milliseconds effective_interval{0};  // the wait before the next poll (see PollContext::next_interval)
  bool polled = false;  // finished at least one poll, successful or not
  bool last_ok = false;
  SystemTime last_poll{};
  SystemTime last_success{};
  std::string last_error;  // reason: message, secrets redacted by the caller's logger
  std::map<std::string, TargetStatus> targets;  // repo, query, package, guild or invite
};

// A collector's config identity by name (Config::fingerprints): an equal
// fingerprint means an equal configuration.
using Fingerprints = std::map<std::string, uint64_t>;

class Scheduler {
 public:
  Scheduler(const Clock& clock, SnapshotStore& store, SelfMetrics& metrics, Logger logger,
            TransportFactory transports, std::string user_agent);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts one worker per collector. Status of collectors that keep their
  // name across a reload carries over (so /readyz stays ready).
  // `shard` tells every poll which targets this process owns.
  // Each collector's snapshot holds at most `limits.max_series` series and
  // item lists of at most `limits.max_items` items.
  void Start(const std::vector<std::shared_ptr<Collector>>& collectors, int max_concurrent_polls, Shard shard = {},
             PollLimits limits = {}, const Fingerprints& fingerprints = {});
  // Stops every worker: no new polls start; polls in flight get `grace` to
  // finish, then their requests are aborted. Returns once all threads joined.
  void Stop(std::chrono::milliseconds grace);
  // How often a poll that takes long logs how far it got ("poll in progress"); 10 s unless set
  // before Start.
  void set_progress_every(std::chrono::milliseconds every) { progress_every_ = every; }
  // Applies a reloaded config. A running collector whose name and fingerprint
  // are unchanged keeps running: its poll in flight continues, its caches and
  // last good values stay, and the new config's instance of it is unused.
  // Changed collectors are stopped (`grace`, as Stop) and started from the new
  // instance, removed ones stopped, new ones started. When the exporter-wide
  // settings change (poll slots, shard, limits) every worker restarts.
  void Reload(const std::vector<std::shared_ptr<Collector>>& collectors, int max_concurrent_polls, Shard shard,
              PollLimits limits, const Fingerprints& fingerprints, std::chrono::milliseconds grace);

  std::vector<CollectorStatus> Status() const;
  // True when every collector has finished its first poll.
  bool Ready() const;

 private:
  struct Worker;
  void RunWorker(Worker& worker, std::stop_token stop);
  void StartWorker(const std::shared_ptr<Collector>& collector, const Fingerprints& fingerprints);
  // Stops and joins the given workers (see Stop).
  static void StopWorkers(std::vector<std::unique_ptr<Worker>>& workers, std::chrono::milliseconds grace);
  // Status and interval metrics for the collectors now configured; forgets the rest.
  void UpdateStatus(const std::vector<std::shared_ptr<Collector>>& collectors);

  const Clock& clock_;
  SnapshotStore& store_;
  SelfMetrics& metrics_;
  Logger logger_;
  TransportFactory transports_;
  std::string user_agent_;

  std::unique_ptr<std::counting_semaphore<64>> poll_slots_;
  int max_concurrent_polls_ = 0;
  Shard shard_;
  PollLimits limits_;
  std::chrono::milliseconds progress_every_{10'000};
  std::vector<std::unique_ptr<Worker>> workers_;

  mutable std::mutex status_mu_;
  std::map<std::string, CollectorStatus> status_;
};

}  // namespace kpi

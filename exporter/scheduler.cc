#include "exporter/scheduler.h"

#include <malloc.h>

#include <algorithm>
#include <condition_variable>
#include <optional>
#include <random>

#include <fmt/format.h>

#include "collectors/common/time_util.h"
#include "collectors/common/upstream/http_client.h"
#include "collectors/common/upstream/transport_pool.h"

namespace kpi {
namespace {

using std::chrono::milliseconds;

// The worker's logger, handed to the collector already tagged with its name.
class WorkerLog final : public PollLog {
 public:
  explicit WorkerLog(Logger logger) : logger_(std::move(logger)) {}
  void Debug(std::string_view message) override { logger_.Debug(message); }
  void Warn(std::string_view message) override { logger_.Warn(message); }

 private:
  Logger logger_;
};

// Requests and elapsed time of the poll in flight, updated from the HTTP
// client's per-attempt callback (inside Poll, from every thread the source
// polls its targets with): a poll that takes long says every `every` how far
// it got.
class PollProgress {
 public:
  explicit PollProgress(std::chrono::milliseconds every) : every_(every) {}

  void Begin(const PollReport& report) {
    std::lock_guard lock(mu_);
    started_ = last_logged_ = std::chrono::steady_clock::now();
    requests_ = 0;
    report_ = &report;
  }
  void Attempt(const Logger& logger) {
    std::lock_guard lock(mu_);
    ++requests_;
    const auto now = std::chrono::steady_clock::now();
    if (!report_ || now - last_logged_ < every_) return;
    last_logged_ = now;
    const PollReport::Counts counts = report_->Count();
    logger.Info("poll in progress", {{"elapsed_seconds", FormatSeconds(now - started_)},
                                     {"requests", std::to_string(requests_)},
                                     {"targets_done", std::to_string(counts.reported)},
                                     {"targets_ok", std::to_string(counts.ok)}});
  }
  // The poll's summary fields; the poll is over, no more Attempt calls.
  LogFields End(const PollReport& report, std::size_t series) {
    std::lock_guard lock(mu_);
    report_ = nullptr;
    const PollReport::Counts counts = report.Count();
    return {{"duration_seconds", FormatSeconds(std::chrono::steady_clock::now() - started_)},
            {"targets_ok", std::to_string(counts.ok)},
            {"targets_failed", std::to_string(counts.reported - counts.ok)},
            {"requests", std::to_string(requests_)},
            {"series", std::to_string(series)}};
  }

 private:
  static std::string FormatSeconds(std::chrono::steady_clock::duration d) {
    return fmt::format("{:.1f}", std::chrono::duration<double>(d).count());
  }
  const std::chrono::milliseconds every_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point started_, last_logged_;
  int requests_ = 0;
  const PollReport* report_ = nullptr;
};

milliseconds Jittered(milliseconds interval, std::mt19937_64& rng) {
  // +-10 %, so collectors started together drift apart instead of polling in lockstep.
  std::uniform_real_distribution<double> factor(0.9, 1.1);
  return milliseconds(int64_t(double(interval.count()) * factor(rng)));
}

// One line per poll for every cut, not one per item.
void LogTruncations(const Logger& logger, const PollReport& report) {
  if (report.truncations().empty()) return;
  std::string cuts;
  for (const auto& [target, what] : report.truncations()) cuts += (cuts.empty() ? "" : ", ") + target + " " + what;
  logger.Warn("a configured cap cut listings; series computed from them keep their last complete values",
              {{"truncated", cuts}});
}

// Series the snapshot left out: counted, and logged once per poll.
void RecordDropped(const Logger& logger, SelfMetrics& metrics, const std::string& collector,
                   const DroppedSeries& dropped) {
  if (dropped.over_limit == 0 && dropped.duplicates == 0) return;
  metrics.CountDroppedSeries(collector, "limit", dropped.over_limit);
  metrics.CountDroppedSeries(collector, "duplicate", dropped.duplicates);
  logger.Warn("series left out of the collector's snapshot",
              {{"over_limit", std::to_string(dropped.over_limit)}, {"duplicates", std::to_string(dropped.duplicates)}});
}

// The landing page's per-target view; same rule as SelfMetrics::RecordTargets.
void UpdateTargets(std::map<std::string, TargetStatus>& targets, const PollReport& report, bool poll_ok,
                   SystemTime now) {
  if (poll_ok) {
    std::erase_if(targets, [&](const auto& entry) { return !report.targets().contains(entry.first); });
  } else {
    for (auto& [target, status] : targets) {
      if (!report.targets().contains(target)) status.ok = false;
    }
  }
  for (const auto& [target, ok] : report.targets()) {
    TargetStatus& status = targets[target];
    status.ok = ok;
    if (ok) status.last_success = now;
  }
}

// A poll parses thousands of answers on several threads and then frees them;
// glibc keeps freed memory in its per-thread arenas, so RSS would stay at the
// poll's peak (measured against the bench's fake GitHub at 1000 repositories,
// after the third poll: 173 MiB kept, 135 MiB with this). Giving the free pages
// back costs milliseconds a poll.
void ReturnFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace

struct Scheduler::Worker {
  Worker(std::shared_ptr<Collector> c, Logger l, std::optional<uint64_t> f)
      : collector(std::move(c)), name(collector->name()), fingerprint(f), logger(std::move(l).With("collector", name)) {}
  std::shared_ptr<Collector> collector;
  std::string name;
  std::optional<uint64_t> fingerprint;  // unknown: never equal to a reloaded config's
  Logger logger;
  std::stop_source cancel;  // aborts requests in flight (after the grace period)
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  std::jthread thread;  // last member: joins before the rest is destroyed
};

Scheduler::Scheduler(const Clock& clock, SnapshotStore& store, SelfMetrics& metrics, Logger logger,
                     TransportFactory transports, std::string user_agent)
    : clock_(clock),
      store_(store),
      metrics_(metrics),
      logger_(std::move(logger)),
      transports_(std::move(transports)),
      user_agent_(std::move(user_agent)) {}

Scheduler::~Scheduler() { Stop(milliseconds(0)); }

void Scheduler::Start(const std::vector<std::shared_ptr<Collector>>& collectors, int max_concurrent_polls,
                      Shard shard, PollLimits limits, const Fingerprints& fingerprints) {
  shard_ = shard;
  limits_ = limits;
  max_concurrent_polls_ = max_concurrent_polls;
  poll_slots_ = std::make_unique<std::counting_semaphore<64>>(std::clamp(max_concurrent_polls, 1, 64));
  UpdateStatus(collectors);
  std::vector<std::string> names;
  for (const auto& collector : collectors) {
    StartWorker(collector, fingerprints);
    names.emplace_back(collector->name());
  }
  store_.Retain(names);
}

void Scheduler::Reload(const std::vector<std::shared_ptr<Collector>>& collectors, int max_concurrent_polls,
                       Shard shard, PollLimits limits, const Fingerprints& fingerprints, milliseconds grace) {
  // Running workers read these without a lock: only a full restart may change them.
  if (max_concurrent_polls != max_concurrent_polls_ || shard.index != shard_.index || shard.count != shard_.count ||
      limits != limits_) {
    Stop(grace);
    Start(collectors, max_concurrent_polls, shard, limits, fingerprints);
    return;
  }
  std::vector<std::unique_ptr<Worker>> kept, stopping;
  for (auto& worker : workers_) {
    const auto wanted = fingerprints.find(worker->name);
    const bool configured = std::any_of(collectors.begin(), collectors.end(),
                                        [&](const auto& c) { return c->name() == worker->name; });
    const bool unchanged = configured && worker->fingerprint && wanted != fingerprints.end() &&
                           wanted->second == *worker->fingerprint;
    (unchanged ? kept : stopping).push_back(std::move(worker));
  }
  StopWorkers(stopping, grace);
  workers_ = std::move(kept);
  UpdateStatus(collectors);
  std::vector<std::string> names;
  for (const auto& collector : collectors) {
    names.emplace_back(collector->name());
    const bool running = std::any_of(workers_.begin(), workers_.end(),
                                     [&](const auto& w) { return w->name == collector->name(); });
    if (!running) StartWorker(collector, fingerprints);
  }
  store_.Retain(names);
}

void Scheduler::UpdateStatus(const std::vector<std::shared_ptr<Collector>>& collectors) {
  std::lock_guard lock(status_mu_);
  std::map<std::string, CollectorStatus> kept;
  for (const auto& collector : collectors) {
    const std::string name(collector->name());
    auto previous = status_.find(name);
    CollectorStatus status = previous != status_.end() ? previous->second : CollectorStatus{};
    status.name = name;
    status.interval = collector->settings().interval;
    // A collector kept running across a reload keeps its stretched wait until its next poll.
    status.effective_interval = std::max(status.effective_interval, status.interval);
    metrics_.SetInterval(name, status.interval);
    metrics_.SetEffectiveInterval(name, status.effective_interval);
    kept[name] = status;
  }
  for (const auto& [name, status] : status_) {
    if (!kept.contains(name)) metrics_.ForgetCollector(name);
  }
  status_ = std::move(kept);
}

void Scheduler::StartWorker(const std::shared_ptr<Collector>& collector, const Fingerprints& fingerprints) {
  const auto fingerprint = fingerprints.find(std::string(collector->name()));
  auto worker = std::make_unique<Worker>(
      collector, logger_,
      fingerprint == fingerprints.end() ? std::nullopt : std::optional<uint64_t>(fingerprint->second));
  Worker& ref = *worker;
  worker->thread = std::jthread([this, &ref](std::stop_token stop) { RunWorker(ref, stop); });
  workers_.push_back(std::move(worker));
}

void Scheduler::Stop(milliseconds grace) { StopWorkers(workers_, grace); }

void Scheduler::StopWorkers(std::vector<std::unique_ptr<Worker>>& workers, milliseconds grace) {
  for (auto& worker : workers) worker->thread.request_stop();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (auto& worker : workers) {
    std::unique_lock lock(worker->mu);
    if (!worker->done_cv.wait_until(lock, deadline, [&] { return worker->done; })) {
      worker->logger.Warn("poll still running after the shutdown grace period; aborting it");
      worker->cancel.request_stop();
    }
  }
  workers.clear();  // joins every thread
}

void Scheduler::RunWorker(Worker& worker, std::stop_token stop) {
  std::mt19937_64 rng(std::random_device{}());
  // A short random delay first, so a restart does not fire every collector in the same instant.
  std::uniform_int_distribution<int64_t> startup(0, 1000);
  bool keep_running = clock_.SleepFor(milliseconds(startup(rng)), stop);
  HttpClientOptions options = worker.collector->http_options();
  options.limits.user_agent = user_agent_;
  const std::string name = worker.name;
  PollProgress progress(progress_every_);
  // One transport per request the source may have in flight (its concurrency).
  HttpClient http(std::make_unique<TransportPool>(worker.collector->settings().concurrency, transports_), clock_,
                  std::move(options),
                  [this, name, &progress, &worker](std::string_view code) {
                    metrics_.CountUpstreamRequest(name, code);
                    progress.Attempt(worker.logger);
                  },
                  worker.cancel.get_token());
  http.set_retry_log([&worker](const std::string& message) { worker.logger.Debug(message); });
  uint64_t evictions_recorded = 0;  // of this client's cache, already counted in the self-metrics
  while (keep_running && !stop.stop_requested()) {
    // Wait for a free poll slot, checking for shutdown while waiting.
    bool acquired = false;
    while (!stop.stop_requested() && !(acquired = poll_slots_->try_acquire_for(milliseconds(200)))) {
    }
    if (!acquired) break;
    const auto started = std::chrono::steady_clock::now();
    WorkerLog log(worker.logger);
    PollContext context{clock_, log, worker.cancel.get_token(), {}, shard_, limits_.max_series, limits_.max_items};
    progress.Begin(context.report);
    tl::expected<Snapshot, Error> result = tl::unexpected(Error{"internal", "poll did not run"});
    try {
      result = worker.collector->Poll(http, context);
    } catch (const std::exception& e) {
      // Collectors return errors as values; this only guards the process against a bug in one.
      result = tl::unexpected(Error{"internal", std::string("poll threw: ") + e.what()});
    }
    poll_slots_->release();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    const SystemTime now = clock_.Now();

    const size_t series = result ? result->series() : 0;
    std::shared_ptr<const Snapshot> snapshot;
    if (result) {
      snapshot = std::make_shared<const Snapshot>(std::move(*result));
    } else if (const auto& partial = result.error().partial) {
      // A partial result never loses a series the store still has (see Snapshot::MergedOver).
      const auto previous = store_.Get(name);
      snapshot = previous ? std::make_shared<const Snapshot>(partial->MergedOver(*previous)) : partial;
    }
    if (snapshot) {
      store_.Put(name, snapshot);
      RecordDropped(worker.logger, metrics_, name, snapshot->dropped());
    }
    const bool canceled = !result && result.error().reason == "canceled";
    const milliseconds wait = std::max(worker.collector->settings().interval, context.next_interval.value_or(milliseconds(0)));
    if (!canceled) {
      metrics_.SetEffectiveInterval(name, wait);
      metrics_.RecordPoll(name, result.has_value(), took, ToUnixSeconds(now));
      metrics_.RecordTargets(name, context.report, result.has_value(), ToUnixSeconds(now));
      const HttpClient::CacheStats cache = http.cache_stats();
      metrics_.RecordCache(name, cache.entries, cache.bytes, cache.evictions - evictions_recorded);
      evictions_recorded = cache.evictions;
      LogTruncations(worker.logger, context.report);
      std::lock_guard lock(status_mu_);
      CollectorStatus& status = status_[name];
      UpdateTargets(status.targets, context.report, result.has_value(), now);
      status.polled = true;
      status.last_ok = result.has_value();
      status.last_poll = now;
      if (status.effective_interval != wait) {
        worker.logger.Info(wait > status.interval ? "polling less often until the rate limit resets"
                                                  : "polling at the configured interval again",
                           {{"interval", FormatDuration(wait)}});
      }
      status.effective_interval = wait;
      if (result) {
        status.last_success = now;
        status.last_error.clear();
      } else {
        status.last_error = result.error().reason + ": " + result.error().message;
      }
    }
    // One line per poll: info when it succeeded, error when it failed.
    const LogFields summary = progress.End(context.report, series);
    if (result) {
      worker.logger.Info(series == 0 ? "poll finished with no data" : "poll finished", summary);
    } else if (!canceled) {
      metrics_.CountError(name, result.error().reason);
      LogFields fields = summary;
      fields.emplace_back("reason", result.error().reason);
      fields.emplace_back("err", result.error().message);
      worker.logger.Error("poll failed", fields);
    }
    ReturnFreedMemory();
    keep_running = clock_.SleepFor(Jittered(wait, rng), stop);
  }
  std::lock_guard lock(worker.mu);
  worker.done = true;
  worker.done_cv.notify_all();
}

std::vector<CollectorStatus> Scheduler::Status() const {
  std::lock_guard lock(status_mu_);
  std::vector<CollectorStatus> out;
  for (const auto& [name, status] : status_) out.push_back(status);
  return out;
}

bool Scheduler::Ready() const {
  std::lock_guard lock(status_mu_);
  return std::all_of(status_.begin(), status_.end(), [](const auto& entry) { return entry.second.polled; });
}

}  // namespace kpi

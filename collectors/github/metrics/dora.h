// DORA's software delivery metrics from GitHub, by polling (README "DORA").
// A deployment is a GitHub deployment to one environment, a published
// release, or a completed run of one workflow on the default branch; lead
// time comes from the commits each successful deployment newly shipped
// (compare API), failures and rework from deployment outcomes and incident
// issues.
//
// ComputeDora is a pure function of what was read, so every definition is
// unit-tested with hand-computed answers; CollectDora reads GitHub.
// Thread-safety: a DoraCollector is used by its collector's poll thread only.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "collectors/common/clock.h"
#include "collectors/common/error.h"
#include "collectors/common/output/items.h"
#include "collectors/common/poll_report.h"
#include "collectors/common/output/snapshot.h"
#include "collectors/common/upstream/http_client.h"
#include "collectors/github/parse.h"

namespace kpi {
class SectionReader;
}

namespace kpi::github {

struct DoraConfig {
  enum class Source { kDeployments, kReleases, kWorkflow };
  Source source = Source::kDeployments;
  std::string environment = "production";  // deployments: which environment
  std::string workflow;                    // workflow: file name or id
  std::vector<std::string> incident_labels{"incident"};
  std::vector<std::string> rework_labels{"hotfix", "incident"};
  int max_commits_per_deployment = 250;
  // Where a change starts: each shipped commit's author date, or (squash and
  // rebase merges rewrite commits) the first commit of each shipped pull
  // request, one observation per pull request (README "DORA").
  enum class LeadTimeFrom { kCommit, kPullRequest };
  LeadTimeFrom lead_time_from = LeadTimeFrom::kCommit;
};

// [github.dora]; nullopt (and `reader` failed) on a bad value.
std::optional<DoraConfig> ReadDoraConfig(SectionReader& reader);

// One decided deployment: in progress, pending or never-finished ones are neither.
struct DeploymentOutcome {
  std::string sha;  // what was deployed (a commit sha, or a release's tag)
  SystemTime at;    // first success, or the failure
  bool succeeded = false;
  std::string id = "";   // for people: "deployment 12", "run 345", a release's tag
  std::string url = "";  // its page or log; "" when GitHub gives none
};

struct Incident {
  SystemTime opened;
  std::optional<SystemTime> closed;
  ListItem item = {};  // the issue, for the drill-down list
};

// The commits a successful deployment newly shipped.
struct Shipped {
  std::vector<SystemTime> authored;     // author date of each commit examined
  bool reverts = false;                 // a commit message starts with `Revert "`
  std::vector<int64_t> pull_requests;   // merged PRs named by GitHub's merge and squash messages
  bool cut = false;                     // max_commits_per_deployment left commits out
};

struct DoraStats {
  int64_t deployments_1d = 0, deployments_7d = 0, deployments_30d = 0;
  int64_t failed_1d = 0, failed_7d = 0, failed_30d = 0;
  std::optional<SystemTime> last_deployment;  // latest success read
  std::vector<double> lead_times;             // seconds, one per shipped commit
  std::vector<double> restore_times;          // incidents closed in the window
  std::vector<double> recovery_times;         // failure episode start -> next success
  std::optional<double> change_failure_ratio;  // absent without decided deployments
  std::optional<double> rework_ratio;          // absent without successful deployments
  // The drill-down lists (absent with max_items = 0), kept and cut with the numbers.
  SharedItemList failed_deployment_items;
  SharedItemList incident_items;
};

extern const ItemListKind kFailedDeploymentsList;
extern const ItemListKind kIncidentsList;
// Failed deployments of the 30-day window, newest first.
ItemList FailedDeploymentItems(const std::string& repo, const std::vector<DeploymentOutcome>& deployments,
                               SystemTime now, size_t max_items);
// Incidents opened or closed in the 30-day window, newest first.
ItemList IncidentItems(const std::string& repo, const std::vector<Incident>& incidents, SystemTime now,
                       size_t max_items);

// `deployments` sorted oldest first; `shipped` by index into `deployments`
// (successful ones that had a previous successful deployment).
// `rework_pulls`: pull requests labelled with one of rework_labels.
DoraStats ComputeDora(const std::vector<DeploymentOutcome>& deployments, const std::map<size_t, Shipped>& shipped,
                      const std::vector<Incident>& incidents, const std::set<int64_t>& rework_pulls, SystemTime now);

// Whether a commit message is git's revert message (`Revert "…"`).
bool IsRevertMessage(std::string_view message);
// The pull request a merge commit ("Merge pull request #12 from …") or a
// squash commit ("Title (#12)" on its first line) came from; nullopt for others.
std::optional<int64_t> PullRequestOfMessage(std::string_view message);

// The deployment outcome of one deployment from its statuses (any order);
// nullopt when it neither succeeded nor failed.
std::optional<DeploymentOutcome> OutcomeOf(const Deployment& deployment, const std::vector<DeploymentStatus>& statuses);

class DoraCollector {
 public:
  struct Limits {
    std::vector<std::string> ci_events;  // workflow source: the CI health event rules
    int max_pages = 50;
  };
  DoraCollector(DoraConfig config, Limits limits) : config_(std::move(config)), limits_(std::move(limits)) {}

  // Everything for one repository; nullopt when a cap cut a listing the
  // numbers depend on (reported), so the caller keeps its last values.
  tl::expected<std::optional<DoraStats>, Error> Collect(HttpClient& http, PollReport& report, const std::string& api_url,
                                         const std::string& repo, const std::string& default_branch, SystemTime now,
                                         size_t max_items);
  // Forgets cached answers of repositories no longer polled.
  void Retain(const std::set<std::string>& repos);

 private:
  using Outcomes = std::optional<std::vector<DeploymentOutcome>>;  // nullopt: cut
  struct Labelled {
    std::vector<Incident> incidents;
    std::set<int64_t> rework_pulls;
  };
  tl::expected<Outcomes, Error> Deployments(HttpClient& http, PollReport& report,
                                                                  const std::string& api_url, const std::string& repo,
                                                                  const std::string& default_branch, SystemTime since);
  tl::expected<Outcomes, Error> FromDeployments(HttpClient& http, PollReport& report,
                                                                      const std::string& api_url,
                                                                      const std::string& repo, SystemTime since);
  tl::expected<Outcomes, Error> FromReleases(HttpClient& http, PollReport& report,
                                                                   const std::string& api_url, const std::string& repo,
                                                                   SystemTime since);
  tl::expected<Outcomes, Error> FromWorkflow(HttpClient& http, PollReport& report,
                                                                   const std::string& api_url, const std::string& repo,
                                                                   const std::string& default_branch, SystemTime since);
  tl::expected<Shipped, Error> ShippedBetween(HttpClient& http, PollReport& report, const std::string& api_url,
                                              const std::string& repo, const std::string& base,
                                              const std::string& head);
  // For lead_time_from = "pull_request": `shipped` with one author date per
  // pull request it names, that of the pull request's first commit.
  tl::expected<Shipped, Error> FromPullRequests(HttpClient& http, const std::string& api_url, const std::string& repo,
                                                Shipped shipped);
  // Incident issues and rework-labelled pull requests updated since `since`; nullopt: cut.
  tl::expected<std::optional<Labelled>, Error> ReadLabelled(HttpClient& http, PollReport& report,
                                                            const std::string& api_url, const std::string& repo,
                                                            SystemTime since);

  DoraConfig config_;
  Limits limits_;
  // Answers that never change, so they are asked once: "repo base...head" ->
  // commits shipped; "repo#deployment id" -> its first success. Guarded by
  // mu_: repositories are polled side by side.
  std::mutex mu_;
  std::map<std::string, Shipped> shipped_cache_;
  std::map<std::string, DeploymentOutcome> succeeded_cache_;
  std::map<std::string, std::optional<SystemTime>> pull_start_cache_;  // "repo!number" -> first commit's author date
  std::set<std::string> live_keys_;
};

void AddDoraMetrics(SnapshotBuilder& builder, const std::string& repo, const DoraStats& stats);

}  // namespace kpi::github

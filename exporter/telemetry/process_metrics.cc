#include "exporter/telemetry/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "collectors/common/output/snapshot.h"

namespace kpi {
namespace {

void Add(std::string& out, const char* name, const char* type, const char* help, double value) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         FormatSampleValue(value) + "\n";
}

double BootTimeSeconds() {
  std::ifstream stat("/proc/stat");
  std::string key;
  double value = 0;
  while (stat >> key) {
    if (key == "btime") {
      stat >> value;
      return value;
    }
    stat.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

std::string RenderProcessMetrics() {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold spaces.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(stat.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(field);
  // With "state" as fields[0]: utime 11, stime 12, starttime 19, vsize 20, rss 21 (proc(5) numbers minus 3).
  if (fields.size() < 22) return {};
  const double ticks = double(sysconf(_SC_CLK_TCK));
  const double page = double(sysconf(_SC_PAGESIZE));
  std::string out;
  Add(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
      (std::stod(fields[11]) + std::stod(fields[12])) / ticks);
  Add(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", std::stod(fields[21]) * page);
  Add(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", std::stod(fields[20]));
  Add(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
      BootTimeSeconds() + std::stod(fields[19]) / ticks);
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    ++fds;
  }
  Add(out, "process_open_fds", "gauge", "Number of open file descriptors.", fds);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    Add(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", double(limit.rlim_cur));
  }
  return out;
}

}  // namespace kpi

#include "exporter/kpi/definition.h"

#include <doctest/doctest.h>

using namespace kpi;

namespace {

KpiDefinition Kpi(Direction direction, double target, std::optional<double> green = {}, std::optional<double> red = {}) {
  KpiDefinition k;
  k.name = "k";
  k.category = "c";
  k.metric = "m";
  k.direction = direction;
  k.target = target;
  k.green = green;
  k.red = red;
  return k;
}

}  // namespace

TEST_CASE("zones, higher is better: exactly at green is green, at target and at red yellow, below red red") {
  const auto k = Kpi(Direction::kHigher, 100, 150, 50);
  CHECK(ZoneOf(k, 1000) == Zone::kGreen);
  CHECK(ZoneOf(k, 150) == Zone::kGreen);
  CHECK(ZoneOf(k, 149.999) == Zone::kYellow);
  CHECK(ZoneOf(k, 100) == Zone::kYellow);
  CHECK(ZoneOf(k, 50) == Zone::kYellow);
  CHECK(ZoneOf(k, 49.999) == Zone::kRed);
  CHECK(ZoneOf(k, -5) == Zone::kRed);
}

TEST_CASE("zones, lower is better: exactly at green is green, at target and at red yellow, above red red") {
  const auto k = Kpi(Direction::kLower, 86400, 43200, 172800);
  CHECK(ZoneOf(k, 0) == Zone::kGreen);
  CHECK(ZoneOf(k, 43200) == Zone::kGreen);
  CHECK(ZoneOf(k, 43200.5) == Zone::kYellow);
  CHECK(ZoneOf(k, 86400) == Zone::kYellow);
  CHECK(ZoneOf(k, 172800) == Zone::kYellow);
  CHECK(ZoneOf(k, 172800.5) == Zone::kRed);
}

TEST_CASE("without zones: at or better than the target is green, worse is red, never yellow") {
  const auto higher = Kpi(Direction::kHigher, 0.95);
  CHECK(ZoneOf(higher, 0.95) == Zone::kGreen);
  CHECK(ZoneOf(higher, 0.96) == Zone::kGreen);
  CHECK(ZoneOf(higher, 0.9499) == Zone::kRed);
  const auto lower = Kpi(Direction::kLower, 10);
  CHECK(ZoneOf(lower, 10) == Zone::kGreen);
  CHECK(ZoneOf(lower, 9) == Zone::kGreen);
  CHECK(ZoneOf(lower, 10.001) == Zone::kRed);
}

TEST_CASE("one zone bound given: the other is the target") {
  const auto green_only = Kpi(Direction::kHigher, 100, 150);
  CHECK(ZoneOf(green_only, 150) == Zone::kGreen);
  CHECK(ZoneOf(green_only, 100) == Zone::kYellow);
  CHECK(ZoneOf(green_only, 99) == Zone::kRed);
  const auto red_only = Kpi(Direction::kLower, 10, std::nullopt, 20);
  CHECK(ZoneOf(red_only, 10) == Zone::kGreen);
  CHECK(ZoneOf(red_only, 11) == Zone::kYellow);
  CHECK(ZoneOf(red_only, 20) == Zone::kYellow);
  CHECK(ZoneOf(red_only, 21) == Zone::kRed);
  CHECK(MeetsTarget(red_only, 10));
  CHECK_FALSE(MeetsTarget(red_only, 10.5));
}

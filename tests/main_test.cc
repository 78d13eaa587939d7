#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "collectors/common/upstream/curl_transport.h"

int main(int argc, char** argv) {
  kpi::CurlGlobal curl;  // before any test starts threads
  doctest::Context context(argc, argv);
  return context.run();
}

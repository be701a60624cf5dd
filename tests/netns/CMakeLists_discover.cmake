# DIAL discovery across a veth pair (included by tests/netns/CMakeLists.txt): tv-device --dial in
# a "tv" namespace, dial-discover and ts-client --discover in a "companion" namespace, each with
# addresses of its own (veth_pair.sh; 77 = skipped when the namespaces cannot be made and CI is
# not true). The companion must reach the TV at the address in its answer.
if(TARGET tv-device AND TARGET dial-discover AND TARGET ts-client)
  set(bin ${CMAKE_RUNTIME_OUTPUT_DIRECTORY})
  add_test(NAME netns_dial_discover_veth
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/veth_pair.sh
                   "exec ${bin}/tv-device --dial --interface veth0 --friendly-name 'Veth TV' --no-console 0.0.0.0 0 0.0.0.0 0"
                   "${bin}/dial-discover --interface veth0 --json --name 'Veth TV' | grep -q \"\\\"address\\\":\\\"$TV_ADDRESS\\\"\" && ${bin}/ts-client --discover --interface veth0 --json --duration 3 > ts.out && grep -q '\"available\":true' ts.out")
  set_tests_properties(netns_dial_discover_veth PROPERTIES LABELS "integration;netns"
                       SKIP_RETURN_CODE 77 TIMEOUT 60)
endif()

import Testing
@testable import TxfDist

/// Agreement failures on values read from each host's own copy of a file name the hosts too.
@Suite struct HostNamingTests {
    @Test func aMismatchNamingHostsGroupsEachCopysRanksAndHosts() {
        let values = ["aaa", "aaa", "bbb", "aaa"].map { Array($0.utf8) }
        let message = Agreement.mismatchMessage(
            what: "the --train data (dataset fingerprint)", hashes: values.map(fnv1a64), lengths: values.map(\.count),
            values: values, isText: true, hosts: ["node-a", "node-a", "node-b", "node-c"])
        #expect(message == "ranks disagree on the --train data (dataset fingerprint): ranks 0, 1, 3 (hosts node-a, node-c) have \"aaa\", rank 2 (host node-b) has \"bbb\"")
    }

    @Test func oneHostNamesNoHostInARanksFailure() {
        let one = SingleProcessCommunicator()
        #expect(one.hosts == [hostName()])
        #expect(!one.spansHosts)
        #expect(one.rankName(0) == "rank 0")
    }
}

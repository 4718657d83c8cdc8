import Testing
@testable import TensorModule

/// Reading the resident-memory fields of `/proc/self/status` (`ResourceUsage`).
@Suite("Resource usage")
struct ResourceUsageTests {
    @Test("Status fields read with the kernel's padding, below and above 10⁷ kB")
    func readsPaddedFields() {
        let status = "Name:\tsd\nVmHWM:\t 8289280 kB\nVmRSS:\t12345678 kB\n"
        #expect(ResourceUsage.kilobytes("VmHWM:", inStatus: status) == 8_289_280)
        // 8 digits leave no space after the tab: the case a space-only split read as nothing.
        #expect(ResourceUsage.kilobytes("VmRSS:", inStatus: status) == 12_345_678)
        #expect(ResourceUsage.kilobytes("VmSwap:", inStatus: status) == nil)
    }

    @Test("This process's figures are read, and the peak is at least the current")
    func readsThisProcess() throws {
        let current = try #require(ResourceUsage.currentResidentBytes)
        let peak = try #require(ResourceUsage.peakResidentBytes)
        #expect(current > 0)
        #expect(peak >= current)
    }
}

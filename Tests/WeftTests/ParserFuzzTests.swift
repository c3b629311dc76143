import XCTest
@testable import Weft

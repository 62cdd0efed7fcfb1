package dev.beacon.robots;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link RobotStatus}'s wire names are the API's and the database's (the column's default among them). */
class RobotStatusTest {
    @Test
    void wireNamesAreTheApisStatuses() throws Exception {
        assertThat(Arrays.stream(RobotStatus.values()).map(RobotStatus::wireName)).containsExactly("online", "busy", "offline");
        for (RobotStatus status : RobotStatus.values()) {
            assertThat(RobotStatus.of(status.wireName())).isEqualTo(status);
            assertThat(new ObjectMapper().writeValueAsString(status)).isEqualTo("\"" + status.wireName() + "\"");
        }
        assertThat(RobotStatus.fromWire("paused")).isEmpty(); // a flag beside the status, not a status
        assertThat(RobotStatus.ONLINE.isConnected()).isTrue();
        assertThat(RobotStatus.BUSY.isConnected()).isTrue();
        assertThat(RobotStatus.OFFLINE.isConnected()).isFalse();
    }
}

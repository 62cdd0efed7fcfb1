package dev.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LogDefaultsTest {
    @Test
    void one_line_per_event_on_stderr_with_libraries_at_warn() {
        LoggerContext context = new LoggerContext();

        assertThat(LogDefaults.apply(context)).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);

        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.INFO);
        ConsoleAppender<ILoggingEvent> stderr = (ConsoleAppender<ILoggingEvent>) root.getAppender("STDERR");
        assertThat(stderr.getTarget()).isEqualTo("System.err");
        assertThat(stderr.isStarted()).isTrue();
        for (String library : LogDefaults.QUIET) {
            assertThat(context.getLogger(library + ".Anything").getEffectiveLevel()).as(library).isEqualTo(Level.WARN);
        }
        assertThat(context.getLogger("dev.beacon.server.BeaconServer").getEffectiveLevel()).isEqualTo(Level.INFO);

        LoggingEvent event = new LoggingEvent(Logger.class.getName(), context.getLogger("dev.beacon.server.BeaconServer"), Level.INFO,
                "Beacon listening on {}", null, new Object[] {"http://127.0.0.1:8080"});
        event.setInstant(Instant.parse("2026-12-03T10:11:12.345Z"));
        String line = new String(stderr.getEncoder().encode(event), StandardCharsets.UTF_8);
        assertThat(line).isEqualTo("2026-12-03T10:11:12.345Z INFO  BeaconServer - Beacon listening on http://127.0.0.1:8080" + System.lineSeparator());
    }

    @Test
    void a_configuration_file_on_the_class_path_wins() {
        // The tests' logback-test.xml is on this class path, as an operator's file named by -Dlogback.configurationFile would be.
        LoggerContext context = new LoggerContext();

        assertThat(new LogDefaults().configure(context)).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);

        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR")).isNull();
    }
}

package dev.beacon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.List;

/**
 * Beacon's logging, set up in code: one human-readable line per event on stderr, Jetty, Javalin, Flyway and Hikari at
 * WARN, everything else at INFO. Secrets are never passed to the logger, only masked prefixes and ids.
 *
 * <p>Logback finds this class through {@code META-INF/services} and runs it before its own search for a configuration
 * file. A file still wins: with {@code -Dlogback.configurationFile=...} (an operator's own) or a {@code logback-test.xml}
 * or {@code logback.xml} on the class path (the tests'), this steps aside and logback reads the file as usual. Read
 * from a {@code logback.xml} in the jar, the same settings cost every start logback's XML parser.
 */
public final class LogDefaults extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX, UTC} %-5level %logger{0} - %msg%n";
    static final List<String> QUIET = List.of("org.eclipse.jetty", "io.javalin", "org.flywaydb", "com.zaxxer.hikari");

    public LogDefaults() {
        // for ServiceLoader
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        return aFileIsThere() ? ExecutionStatus.INVOKE_NEXT_IF_ANY : apply(context);
    }

    /** Sets {@code context} up as described above, whatever files there are. */
    static ExecutionStatus apply(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
        for (String name : QUIET) {
            context.getLogger(name).setLevel(Level.WARN);
        }
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    private static boolean aFileIsThere() {
        ClassLoader loader = LogDefaults.class.getClassLoader();
        return System.getProperty(ContextInitializer.CONFIG_FILE_PROPERTY) != null
                || loader.getResource(ContextInitializer.TEST_AUTOCONFIG_FILE) != null
                || loader.getResource(ContextInitializer.AUTOCONFIG_FILE) != null;
    }
}

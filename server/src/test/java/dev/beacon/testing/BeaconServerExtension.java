package dev.beacon.testing;

import dev.beacon.server.ServerConfig;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts one {@link TestServer} per test on the test's {@link Backend} (the value of its {@code Backend} field, as
 * {@link BeaconTest} fills it), injects it into every {@code TestServer} field and parameter, and closes it after the
 * test and its {@code @AfterEach} methods. Stateless: the server lives in the test's extension store, so JUnit may
 * call it from any thread that runs a test.
 */
public final class BeaconServerExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(BeaconServerExtension.class);

    /** Implemented by a test class whose server needs more than the test defaults (a fake clock, short intervals). */
    public interface ConfiguresServer {
        /** Adjusts the config before the server starts; called on the test's thread before each test. */
        ServerConfig configure(ServerConfig config);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IllegalAccessException {
        Object test = context.getRequiredTestInstance();
        Backend backend = null;
        List<Field> serverFields = new ArrayList<>();
        for (Class<?> type = test.getClass(); type != Object.class; type = type.getSuperclass()) {
            for (Field field : type.getDeclaredFields()) {
                if (field.getType() == Backend.class) {
                    field.setAccessible(true);
                    backend = (Backend) field.get(test);
                } else if (field.getType() == TestServer.class) {
                    serverFields.add(field);
                }
            }
        }
        if (backend == null) {
            throw new IllegalStateException(test.getClass().getSimpleName() + " needs a `@Parameter Backend backend` field");
        }
        TestServer server = test instanceof ConfiguresServer configures
                ? TestServer.start(backend, configures::configure)
                : TestServer.start(backend);
        context.getStore(NAMESPACE).put(TestServer.class, server);
        for (Field field : serverFields) {
            field.setAccessible(true);
            field.set(test, server);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        TestServer server = context.getStore(NAMESPACE).remove(TestServer.class, TestServer.class);
        if (server != null) {
            server.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getStore(NAMESPACE).get(TestServer.class, TestServer.class);
    }
}

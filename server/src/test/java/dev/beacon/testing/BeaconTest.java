package dev.beacon.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Marks a test class that runs once per {@link Backend} against a real server: the class declares
 * {@code @Parameter Backend backend;} and a {@link TestServer} field, and {@link BeaconServerExtension} starts a
 * fresh server before each test, puts it in that field (or a {@code TestServer} method parameter) and closes it after
 * the test's own {@code @AfterEach} methods. A class that needs another configuration implements
 * {@link BeaconServerExtension.ConfiguresServer}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedClass
@EnumSource(Backend.class)
@ExtendWith(BeaconServerExtension.class)
public @interface BeaconTest {
}

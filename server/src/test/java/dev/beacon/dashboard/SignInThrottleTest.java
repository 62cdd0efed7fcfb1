package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.audit.AuditLog;
import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import dev.beacon.users.UserStore;
import dev.beacon.web.ApiError;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sign-in throttle under parallel attempts: never more than {@link SignIn#FAILURES_ALLOWED} passwords checked per address. */
class SignInThrottleTest {
    private static final int PARALLEL = 60;
    /** Each checked password costs an Argon2 hash; before the fix one trial already let all 60 through. */
    private static final int TRIALS = 5;

    @TempDir
    Path dataDir;
    Database db;
    SignIn signIn;

    @BeforeEach
    void open() {
        Clock clock = Clock.systemUTC();
        Ids ids = new Ids(clock);
        db = Database.open(Database.sqliteUrl(dataDir));
        signIn = new SignIn(new UserStore(db, ids, clock), new SessionStore(db, ids, clock), new AuditLog(db, ids, clock), username -> { });
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void sixty_parallel_wrong_passwords_from_one_address_get_exactly_the_allowed_number_checked() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int trial = 0; trial < TRIALS && System.nanoTime() < deadline; trial++) {
                String ip = "192.0.2." + trial; // a fresh address per trial: a fresh throttle
                CountDownLatch go = new CountDownLatch(1);
                List<Future<String>> answers = new ArrayList<>();
                for (int i = 0; i < PARALLEL; i++) {
                    answers.add(pool.submit(() -> {
                        go.await();
                        try {
                            signIn.signIn("admin", "wrong", ip, "test");
                            return "signed_in";
                        } catch (ApiError refused) {
                            return refused.code();
                        }
                    }));
                }
                go.countDown();
                List<String> codes = new ArrayList<>();
                for (Future<String> answer : answers) {
                    codes.add(answer.get(60, TimeUnit.SECONDS));
                }

                assertThat(codes).as("trial %d", trial).filteredOn("invalid_credentials"::equals).hasSize(SignIn.FAILURES_ALLOWED);
                assertThat(codes).as("trial %d", trial).filteredOn("rate_limited"::equals).hasSize(PARALLEL - SignIn.FAILURES_ALLOWED);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}

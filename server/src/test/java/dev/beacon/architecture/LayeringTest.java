package dev.beacon.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps the layering: the plumbing ({@code web}, {@code store}, {@code errors}) and the protocol classes shared with
 * the agent know no feature, and no feature reaches into another feature's SQL (its {@code …Store}); it asks that
 * feature's service instead. Runs on JUnit's thread over the compiled main classes.
 */
@AnalyzeClasses(packages = "dev.beacon", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {
    /** The feature packages, each owning its records, its SQL ({@code …Store}), its rules ({@code …Service}) and routes. */
    static final List<String> FEATURES = List.of("orgs", "enrollment", "robots", "agentchannel", "jobs", "apikeys", "users", "audit",
            "dashboard", "cluster", "retention");

    /**
     * Stores that other features still use, frozen as they are: each entry is a feature and the other features' stores
     * it reads or writes today. Moving these behind their owners' services is a larger change of its own (robot status
     * written from three stores, the dashboard reading everything); the list may only shrink. A new use of another
     * feature's store fails this test.
     */
    static final Map<String, Set<String>> FROZEN_STORE_USES = Map.of(
            "enrollment", Set.of("dev.beacon.orgs.OrgStore", "dev.beacon.robots.RobotStore"),
            "agentchannel", Set.of("dev.beacon.robots.PresenceStore", "dev.beacon.robots.RobotStore"),
            "jobs", Set.of("dev.beacon.robots.RobotStore"),
            "audit", Set.of("dev.beacon.users.UserStore"),
            "dashboard", Set.of("dev.beacon.robots.PresenceStore", "dev.beacon.robots.RobotStore", "dev.beacon.users.UserStore"));

    private static final String[] FEATURE_PACKAGES = FEATURES.stream().map(feature -> "dev.beacon." + feature + "..")
            .toArray(String[]::new);

    @ArchTest
    static final ArchRule plumbing_depends_on_no_feature = noClasses()
            .that().resideInAnyPackage("dev.beacon.web..", "dev.beacon.store..", "dev.beacon.errors..")
            .should().dependOnClassesThat().resideInAnyPackage(FEATURE_PACKAGES)
            .because("web/, store/ and the domain errors are shared plumbing: features build on them, never the other way round");

    @ArchTest
    static final ArchRule protocol_depends_on_no_feature = noClasses()
            .that().resideInAPackage("dev.beacon.tokens..").or().haveFullyQualifiedName("dev.beacon.BeaconVersion")
            .should().dependOnClassesThat().resideInAnyPackage(FEATURE_PACKAGES)
            .because("the token format and version are shared with the agent, which has none of the server's features");

    @ArchTest
    static final ArchRule features_use_only_their_own_stores = classes()
            .that().resideInAnyPackage(FEATURE_PACKAGES)
            .should(useOnlyTheirOwnStores());

    private static ArchCondition<JavaClass> useOnlyTheirOwnStores() {
        return new ArchCondition<>("use only their own feature's stores (or a frozen use)") {
            @Override
            public void check(JavaClass origin, ConditionEvents events) {
                String feature = feature(origin);
                for (Dependency dependency : origin.getDirectDependenciesFromSelf()) {
                    JavaClass store = topLevel(dependency.getTargetClass());
                    String owner = feature(store);
                    if (owner == null || owner.equals(feature) || !store.getSimpleName().endsWith("Store")
                            || FROZEN_STORE_USES.getOrDefault(feature, Set.of()).contains(store.getName())) {
                        continue;
                    }
                    events.add(SimpleConditionEvent.violated(dependency, feature + " uses " + owner + "'s "
                            + store.getSimpleName() + ": " + dependency.getDescription()));
                }
            }
        };
    }

    private static JavaClass topLevel(JavaClass type) {
        JavaClass current = type;
        while (current.getEnclosingClass().isPresent()) {
            current = current.getEnclosingClass().get();
        }
        return current;
    }

    /** The feature a class belongs to, or null for plumbing and wiring. */
    private static String feature(JavaClass type) {
        String name = type.getPackageName();
        for (String feature : FEATURES) {
            String root = "dev.beacon." + feature;
            if (name.equals(root) || name.startsWith(root + ".")) {
                return feature;
            }
        }
        return null;
    }
}

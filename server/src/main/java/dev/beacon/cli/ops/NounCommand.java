package dev.beacon.cli.ops;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A noun without a verb ({@code beacon machines}): its usage on stderr and exit 2, a command-line mistake. */
abstract class NounCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return OpsException.USAGE;
    }
}

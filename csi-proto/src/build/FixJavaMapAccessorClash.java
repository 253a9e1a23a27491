import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Build step of csi-proto (run by exec-maven-plugin between protoc and javac): repairs a name clash
 * that protoc's Java generator produces for the CSI spec and cannot avoid by itself.
 *
 * <p>The spec has messages with both {@code map parameters} and {@code map mutable_parameters}
 * (CreateVolumeRequest, ValidateVolumeCapabilitiesRequest, ValidateVolumeCapabilitiesResponse.Confirmed).
 * In each Builder, the write accessors protoc generates for {@code parameters}
 * ({@code internalGetMutableParameters()}, deprecated {@code getMutableParameters()}) have the same
 * signatures as the read accessors it generates for {@code mutable_parameters}, so javac refuses the file.
 * Renaming the field in csi.proto would change the descriptor the sidecars and our tests rely on, so
 * instead this step renames the Builder-private write accessor of {@code parameters} to
 * {@code internalGetParametersForWrite()} and deletes its deprecated public twin (callers use
 * {@code putParameters}/{@code putAllParameters}). The wire format and the descriptors are untouched.
 *
 * <p>It fails the build when a file that has the clash was not changed as expected, so a protoc upgrade
 * that generates different code is noticed at once instead of compiling into something subtly wrong.
 *
 * <p>Usage: {@code java FixJavaMapAccessorClash.java <generated-java-dir>}
 */
public final class FixJavaMapAccessorClash {

    private static final String WRITE_NAME = "internalGetParametersForWrite";

    /** The write accessor's definition: it lazily creates {@code parameters_}. */
    private static final Pattern DEFINITION =
            Pattern.compile("(?<![A-Za-z])internalGetMutableParameters\\(\\) \\{(\\s*)if \\(parameters_ == null\\)");

    /** Calls that mutate {@code parameters}: the read accessor of mutable_parameters is never followed by these. */
    private static final Pattern WRITE_CALL = Pattern.compile(
            "(?<![A-Za-z])internalGetMutableParameters\\(\\)(?=\\s*\\.(getMutableMap|clear|mergeFrom|ensureBuilderMap)\\()");

    /** The reflection hook that hands out a mutable map field by number. */
    private static final Pattern MUTABLE_REFLECTION = Pattern.compile(
            "internalGetMutableMapFieldReflection\\(\\s*int number\\) \\{.*?default:", Pattern.DOTALL);

    private static final Pattern DEPRECATED_MUTABLE_GETTER = Pattern.compile(
            "/\\*\\*\\s*\\* Use alternate mutation accessors instead\\.\\s*\\*/\\s*@java\\.lang\\.Deprecated\\s*"
                    + "public java\\.util\\.Map<java\\.lang\\.String, java\\.lang\\.String>\\s*getMutableParameters\\(\\) \\{[^}]*\\}\\s*");

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: FixJavaMapAccessorClash <generated-java-dir>");
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(Path.of(args[0]))) {
            files = walk.filter(p -> p.toString().endsWith(".java")).toList();
        }
        int fixed = 0;
        for (Path file : files) {
            String source = Files.readString(file);
            if (!hasClash(source)) {
                continue;
            }
            String result = fix(source);
            if (hasClash(result) || result.equals(source)) {
                throw new IllegalStateException(file + ": protoc output changed shape; the accessor clash between "
                        + "'parameters' and 'mutable_parameters' was not repaired. Update " + FixJavaMapAccessorClash.class.getSimpleName());
            }
            Files.writeString(file, result);
            fixed++;
        }
        System.out.println("[csi-proto] repaired parameters/mutable_parameters accessor clash in " + fixed + " generated files");
    }

    /** A Builder defining the write accessor of parameters under the clashing name. */
    private static boolean hasClash(String source) {
        return source.contains("internalGetMutableMutableParameters()") && DEFINITION.matcher(source).find();
    }

    private static String fix(String source) {
        String s = DEFINITION.matcher(source).replaceAll(WRITE_NAME + "() {$1if (parameters_ == null)");
        s = WRITE_CALL.matcher(s).replaceAll(WRITE_NAME + "()");
        Matcher reflection = MUTABLE_REFLECTION.matcher(s);
        StringBuilder out = new StringBuilder();
        while (reflection.find()) {
            String body = reflection.group().replaceAll("(?<![A-Za-z])internalGetMutableParameters\\(\\)", WRITE_NAME + "()");
            reflection.appendReplacement(out, Matcher.quoteReplacement(body));
        }
        reflection.appendTail(out);
        return DEPRECATED_MUTABLE_GETTER.matcher(out.toString()).replaceAll("");
    }
}

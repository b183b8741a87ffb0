// Where Debian's JDK and Jackson are: shared by ensure-frameworks.mjs and the Spring tests, and free of
// side effects (importing ensure-frameworks.mjs runs its checks).

/** The Java compiler and runtime that generate and check the Spring fixtures (JDK serialization, Jackson). */
export const JAVAC = "/usr/bin/javac";
export const JAVA = "/usr/bin/java";
/** Debian's Jackson 2 (libjackson2-databind-java), the library Spring's JSON serializer is built on. */
export const JACKSON_CLASSPATH = ["jackson-databind", "jackson-core", "jackson-annotations"]
  .map((name) => `/usr/share/java/${name}.jar`)
  .join(":");

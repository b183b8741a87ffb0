export declare const JAVAC: string;
export declare const JAVA: string;
export declare const JACKSON_CLASSPATH: string;

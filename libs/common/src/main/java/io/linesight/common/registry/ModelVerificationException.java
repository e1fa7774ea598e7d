package io.linesight.common.registry;

/** A registry version that must not be loaded, with what is wrong with it. */
public class ModelVerificationException extends Exception {
    public ModelVerificationException(String message) {
        super(message);
    }
}

#!/bin/bash
# Passes, but leaves a process behind that holds its output open: run-tests
# must kill it rather than wait for it.
sleep 1000 &
echo "left sleep $! behind"

#!/bin/bash
# timeout: 3
# Runs past its 3 s limit (the header above) and is killed.
sleep 600

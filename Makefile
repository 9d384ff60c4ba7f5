# Thin aliases: tasks.py does the work so that a machine without make runs the same steps.
.PHONY: run test bench
run:
	python3 tasks.py run
test:
	python3 tasks.py test
bench:
	python3 tasks.py bench

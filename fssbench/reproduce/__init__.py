"""`fssbench reproduce`: the reference table in one command.

plan (what is needed, what is done, the equivalent commands), run (train, evaluate, publish),
compare (measured against reported, the swapped-supports drop), figure (the table as a picture).
"""

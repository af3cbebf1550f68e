DROP TABLE persona_labels;

#pragma once
// One pen stroke on the canvas, in the canvas's logical coordinates.
#include <QList>
#include <QPainterPath>

struct Stroke {
    QPainterPath path;
    qreal width = 18;
};

using StrokeList = QList<Stroke>;
